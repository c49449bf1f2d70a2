package io.tributary.api.ws;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay's frame, flow-control and close rules, with its two sides recorded: the upstream is an
 * in-memory {@link WebSocket} whose sends complete when the test says, so the order of sends and
 * {@code request} calls can be asserted exactly ({@code ClusterEntryIT} runs the relay between real
 * brokers).
 */
class CoordinatorRelayTest {

    private static final String SUBSCRIBE = "{\"type\":\"subscribe\",\"id\":\"g1\",\"group\":\"g\",\"topics\":[\"t\"]}";

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final RecordingClient client = new RecordingClient();
    private final RecordingUpstream upstream = new RecordingUpstream();

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    private CoordinatorRelay started(long sendTimeoutMs) {
        CoordinatorRelay relay = new CoordinatorRelay(client, "test session", 2, scheduler, sendTimeoutMs);
        relay.listener().onOpen(upstream);
        assertEquals(0, upstream.requested, "nothing is asked of the coordinator before the subscribe went out");
        assertTrue(relay.start(upstream, SUBSCRIBE));
        return relay;
    }

    @Test
    void theSubscribeFrameGoesUpstreamVerbatimAndOnlyThenIsTheFirstMessageRequested() {
        CoordinatorRelay relay = started(1_000);
        assertEquals(List.of(SUBSCRIBE), upstream.texts);
        assertEquals(1, upstream.requested);
        assertTrue(relay.relaying());
        assertEquals(List.of(), client.sent, "the relay answers nothing itself");
    }

    @Test
    void theNextUpstreamMessageIsRequestedOnlyOnceTheClientTookThePreviousOneAndPartsAreJoined() {
        CoordinatorRelay relay = started(1_000);
        WebSocket.Listener l = relay.listener();
        l.onText(upstream, "{\"type\":\"subscribed\",", false);
        assertEquals(2, upstream.requested, "the rest of a partial message is asked for at once");
        assertEquals(List.of(), client.sent);
        l.onText(upstream, "\"id\":\"g1\"}", true);
        assertEquals(List.of("{\"type\":\"subscribed\",\"id\":\"g1\"}"), client.sent);
        assertEquals(2, upstream.requested, "nothing more is asked for while the client has not taken it");
        client.completeSend(null);
        assertEquals(3, upstream.requested);
        l.onText(upstream, "{\"type\":\"record\"}", true);
        assertEquals(3, upstream.requested);
        client.completeSend(null);
        assertEquals(4, upstream.requested);
    }

    @Test
    void aClientFrameIsPassedVerbatimAndFromClientReturnsOnlyOnceTheCoordinatorsSocketTookIt() throws Exception {
        CoordinatorRelay relay = started(10_000);
        CompletableFuture<WebSocket> pending = new CompletableFuture<>();
        upstream.nextSend = pending;
        String credit = "{\"type\":\"credit\",\"records\":5}";
        CompletableFuture<Void> passed = CompletableFuture.runAsync(() -> relay.fromClient(credit));
        Thread.sleep(300);
        assertFalse(passed.isDone(), "the next client frame waits while the previous one is being sent");
        assertEquals(credit, upstream.texts.get(1));
        pending.complete(upstream);
        passed.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(), client.closes);
    }

    @Test
    void aCoordinatorThatDoesNotTakeAClientFrameWithinTheSendTimeoutLosesTheRelayAndTheClientGets1001() {
        CoordinatorRelay relay = started(200);
        upstream.nextSend = new CompletableFuture<>();
        relay.fromClient("{\"type\":\"commit\",\"id\":\"c1\"}");
        assertTrue(upstream.aborted);
        assertEquals(1, client.closes.size());
        assertEquals(1001, client.closes.get(0).code());
        assertTrue(client.closes.get(0).reason().contains("broker 2"), client.closes.get(0).reason());
        assertFalse(relay.relaying());
    }

    @Test
    void theCoordinatorsCloseReachesTheClientWithTheSameCodeAndReason() {
        CoordinatorRelay relay = started(1_000);
        relay.listener().onClose(upstream, 4421, "group 'g' is coordinated by broker 3");
        assertEquals(List.of(new Close(4421, "group 'g' is coordinated by broker 3")), client.closes);
        relay.clientClosed();
        assertEquals(-1, upstream.closeCode, "a relay the coordinator closed sends no close of its own");
    }

    @Test
    void closeCodesThatNeverGoOnTheWireAreMapped() {
        assertEquals(1000, CoordinatorRelay.clientCloseCode(1005));
        assertEquals(1001, CoordinatorRelay.clientCloseCode(1006));
        assertEquals(1001, CoordinatorRelay.clientCloseCode(1001));
        assertEquals(1008, CoordinatorRelay.clientCloseCode(1008));
        assertEquals(4408, CoordinatorRelay.clientCloseCode(4408));
    }

    @Test
    void theClientsCloseClosesTheUpstreamNormallyAndWhatStillComesIsDropped() {
        CoordinatorRelay relay = started(1_000);
        relay.clientClosed();
        assertEquals(WebSocket.NORMAL_CLOSURE, upstream.closeCode);
        assertEquals(Long.MAX_VALUE, upstream.requested, "the upstream is drained until its close arrives");
        relay.listener().onText(upstream, "{\"type\":\"record\"}", true);
        relay.listener().onClose(upstream, 1000, "");
        assertEquals(List.of(), client.sent);
        assertEquals(List.of(), client.closes);
        relay.fromClient("{\"type\":\"credit\",\"records\":1}");
        assertEquals(1, upstream.texts.size(), "nothing goes upstream after the close");
    }

    @Test
    void pingsReachTheClientAsPingsNotDataAndItsPongsGoUpstreamMarked() {
        CoordinatorRelay relay = started(1_000);
        relay.listener().onPing(upstream, ByteBuffer.wrap(new byte[] {7}));
        assertEquals(List.of(), client.sent);
        assertEquals(List.of(ByteBuffer.wrap(new byte[] {7})), client.pings);
        assertEquals(2, upstream.requested, "the ping was handed to the client");
        relay.clientPong();
        assertEquals(List.of(ByteBuffer.wrap(CoordinatorRelay.CLIENT_PONG)), upstream.pongs);
    }

    @Test
    void aFailedSendToTheClientClosesItWith4408AndTheUpstreamNormally() {
        CoordinatorRelay relay = started(1_000);
        relay.listener().onText(upstream, "{\"type\":\"record\"}", true);
        client.completeSend(new java.io.IOException("send timed out"));
        assertEquals(4408, client.closes.get(0).code());
        assertEquals(WebSocket.NORMAL_CLOSURE, upstream.closeCode);
        assertFalse(relay.relaying());
    }

    @Test
    void anUpstreamConnectionLostWithoutACloseClosesTheClientWith1001() {
        CoordinatorRelay relay = started(1_000);
        relay.listener().onError(upstream, new java.io.EOFException("connection reset"));
        assertEquals(1001, client.closes.get(0).code());
        assertTrue(client.closes.get(0).reason().startsWith("The connection to the group's coordinator (broker 2)"));
    }

    @Test
    void whenTheSubscribeFrameCannotBeSentTheClientIsLeftUntouchedForItsFallback() {
        CoordinatorRelay relay = new CoordinatorRelay(client, "test session", 2, scheduler, 1_000);
        upstream.nextSend = CompletableFuture.failedFuture(new java.io.IOException("broken pipe"));
        assertFalse(relay.start(upstream, SUBSCRIBE));
        assertTrue(upstream.aborted);
        assertEquals(0, upstream.requested);
        assertEquals(List.of(), client.closes);
        assertEquals(List.of(), client.sent);
    }

    @Test
    void anUpstreamErrorWhileConnectingLeavesTheClientUntouched() {
        CoordinatorRelay relay = new CoordinatorRelay(client, "test session", 2, scheduler, 1_000);
        relay.listener().onError(upstream, new java.io.IOException("handshake failed"));
        assertFalse(relay.start(upstream, SUBSCRIBE));
        assertEquals(List.of(), client.closes);
    }

    @Test
    void theForwardingHeaderIsFoundWhateverItsCase() {
        assertEquals(Optional.of("1"), StreamHandshake.forwardedBy(Map.of("x-tributary-forwarded-by", List.of("1"))));
        assertEquals(Optional.of("2"), StreamHandshake.forwardedBy(Map.of("X-Tributary-Forwarded-By", List.of("2", "3"))));
        assertEquals(Optional.empty(), StreamHandshake.forwardedBy(Map.of("Origin", List.of("x"))));
        assertEquals(Optional.empty(), StreamHandshake.forwardedBy(Map.of("X-Tributary-Forwarded-By", List.of())));
    }

    @Test
    void onAForwardedSessionOnlyMarkedPongsShowTheClientIsAlive() {
        ByteBuffer empty = ByteBuffer.allocate(0);
        assertTrue(StreamConnection.countsAsHeard(null, empty), "a client's own session counts every pong");
        assertFalse(StreamConnection.countsAsHeard("1", empty), "the relay's automatic answer to a ping");
        assertTrue(StreamConnection.countsAsHeard("1", ByteBuffer.wrap(CoordinatorRelay.CLIENT_PONG)));
        assertFalse(StreamConnection.countsAsHeard("1", ByteBuffer.wrap("other".getBytes(StandardCharsets.US_ASCII))));
    }

    // ---------------------------------------------------------------- the two sides

    record Close(int code, String reason) {
    }

    /** The client's session: records what it was sent; sends complete when the test says. */
    static final class RecordingClient implements CoordinatorRelay.Client {
        final List<String> sent = new CopyOnWriteArrayList<>();
        final List<ByteBuffer> pings = new CopyOnWriteArrayList<>();
        final List<Close> closes = new CopyOnWriteArrayList<>();
        private final List<Consumer<Throwable>> pending = new ArrayList<>();

        @Override
        public synchronized void send(String text, Consumer<Throwable> onDone) {
            sent.add(text);
            pending.add(onDone);
        }

        void completeSend(Throwable failure) {
            Consumer<Throwable> done;
            synchronized (this) {
                done = pending.remove(0);
            }
            done.accept(failure);
        }

        @Override
        public void ping(ByteBuffer payload, Consumer<Throwable> onDone) {
            pings.add(payload);
            onDone.accept(null);
        }

        @Override
        public void close(int code, String reason) {
            closes.add(new Close(code, reason));
        }
    }

    /** The upstream connection: records sends, requests, the close and the abort. */
    static final class RecordingUpstream implements WebSocket {
        final List<String> texts = new CopyOnWriteArrayList<>();
        final List<ByteBuffer> pongs = new CopyOnWriteArrayList<>();
        volatile long requested;
        volatile int closeCode = -1;
        volatile boolean aborted;
        /** What the next sendText or sendBinary returns; null: a completed send. */
        volatile CompletableFuture<WebSocket> nextSend;

        private CompletableFuture<WebSocket> sendResult() {
            CompletableFuture<WebSocket> f = nextSend;
            nextSend = null;
            return f != null ? f : CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
            assertTrue(last, "whole messages only");
            texts.add(data.toString());
            return sendResult();
        }

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            return sendResult();
        }

        @Override
        public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
            pongs.add(message);
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            closeCode = statusCode;
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public synchronized void request(long n) {
            requested = n == Long.MAX_VALUE || requested + n < 0 ? Long.MAX_VALUE : requested + n;
        }

        @Override
        public String getSubprotocol() {
            return "";
        }

        @Override
        public boolean isOutputClosed() {
            return closeCode != -1;
        }

        @Override
        public boolean isInputClosed() {
            return aborted;
        }

        @Override
        public void abort() {
            aborted = true;
        }
    }
}
