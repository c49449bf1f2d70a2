package io.tributary.protocol;

import org.apache.kafka.common.network.ByteBufferSend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener's framing, ordering and isolation, with a handler that echoes what it is sent. */
class KafkaServerTest {

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private KafkaServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        executor.shutdownNow();
    }

    /** Echoes the frame back; a frame starting with "slow" waits on the latch first. */
    private KafkaServer start(CountDownLatch slowLatch, int maxBytes) throws IOException {
        RequestHandler echo = request -> {
            ByteBuffer frame = request.frame();
            byte[] bytes = new byte[frame.remaining()];
            frame.get(bytes);
            String text = new String(bytes);
            CompletableFuture<RequestHandler.Response> answer = new CompletableFuture<>();
            Runnable reply = () -> {
                if (text.equals("close")) {
                    answer.complete(RequestHandler.Response.close("asked to"));
                } else if (text.equals("none")) {
                    answer.complete(RequestHandler.Response.NONE);
                } else {
                    ByteBuffer out = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip();
                    answer.complete(RequestHandler.Response.send(ByteBufferSend.sizePrefixed(out.slice(4, bytes.length))));
                }
            };
            if (text.startsWith("slow")) {
                executor.execute(() -> {
                    try {
                        slowLatch.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    reply.run();
                });
            } else {
                reply.run();
            }
            return answer;
        };
        server = new KafkaServer(new InetSocketAddress("127.0.0.1", 0), maxBytes, 2, 60_000,
                Executors.defaultThreadFactory(), executor, echo);
        server.start();
        return server;
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(text.length());
        out.write(text.getBytes());
        out.flush();
    }

    private static String receive(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int size = in.readInt();
        byte[] bytes = new byte[size];
        in.readFully(bytes);
        return new String(bytes);
    }

    @Test
    void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
        start(new CountDownLatch(0), 1024);
        try (Socket s = connect()) {
            for (int i = 0; i < 100; i++) {
                send(s, "request-" + i);
            }
            send(s, "none");
            send(s, "last");
            for (int i = 0; i < 100; i++) {
                assertEquals("request-" + i, receive(s));
            }
            assertEquals("last", receive(s), "a request without an answer does not hold up the next");
        }
    }

    @Test
    void aSlowRequestHoldsUpOnlyItsOwnConnection() throws Exception {
        CountDownLatch slow = new CountDownLatch(1);
        start(slow, 1024);
        try (Socket a = connect(); Socket b = connect(); Socket c = connect()) {
            send(a, "slow one");
            send(a, "after slow");
            send(b, "quick");
            send(c, "quick too");
            assertEquals("quick", receive(b));
            assertEquals("quick too", receive(c));
            slow.countDown();
            assertEquals("slow one", receive(a));
            assertEquals("after slow", receive(a));
        }
    }

    @Test
    void anOversizedOrNegativeFrameClosesOnlyThatConnection() throws Exception {
        start(new CountDownLatch(0), 1024);
        try (Socket good = connect(); Socket big = connect(); Socket negative = connect()) {
            DataOutputStream out = new DataOutputStream(big.getOutputStream());
            out.writeInt(1025);
            out.flush();
            assertThrows(EOFException.class, () -> receive(big));
            DataOutputStream neg = new DataOutputStream(negative.getOutputStream());
            neg.writeInt(-5);
            neg.flush();
            assertThrows(EOFException.class, () -> receive(negative));
            send(good, "still served");
            assertEquals("still served", receive(good));
        }
    }

    @Test
    void aHandlerCanCloseTheConnection() throws Exception {
        start(new CountDownLatch(0), 1024);
        try (Socket s = connect()) {
            send(s, "close");
            assertThrows(EOFException.class, () -> receive(s));
        }
        assertTrue(waitFor(() -> server.connectionCount() == 0), "closed connections are forgotten");
    }

    @Test
    void closingFreesThePortAndIsIdempotent() throws Exception {
        start(new CountDownLatch(0), 1024);
        int port = server.port();
        Socket open = connect();
        server.close();
        server.close();
        assertThrows(IOException.class, () -> receive(open), "open connections are closed");
        open.close();
        KafkaServer again = new KafkaServer(new InetSocketAddress("127.0.0.1", port), 1024, 1, 60_000,
                Executors.defaultThreadFactory(), executor, r -> new CompletableFuture<>());
        again.start();
        assertEquals(port, again.port());
        again.close();
    }

    private static boolean waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
