package io.tributary.broker;

import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * A blocking Kafka-protocol client for one broker-to-broker connection: one request at a time, the
 * wire format done by kafka-clients' request and response classes (size-prefixed frames with a
 * request header). Used by a replica fetcher thread, which has nothing else to do while it waits,
 * and by the {@link LeaderForwarder}'s pool, which lends each connection to one request at a time.
 *
 * <p>Not thread-safe: one owner thread at a time. {@link #close()} may be called from any thread to unblock it.
 */
final class InterBrokerClient implements AutoCloseable {

    private final InetSocketAddress address;
    private final String clientId;
    private final int timeoutMs;
    private Socket socket;
    private DataInputStream in;
    private OutputStream out;
    private int correlationId;

    InterBrokerClient(InetSocketAddress address, String clientId, int timeoutMs) {
        this.address = address;
        this.clientId = clientId;
        this.timeoutMs = timeoutMs;
    }

    InetSocketAddress address() {
        return address;
    }

    /**
     * Sends a request at the given version and waits for its response.
     *
     * @throws IOException on any connection failure; the connection is closed and the next call reconnects
     */
    AbstractResponse send(AbstractRequest.Builder<?> builder, short version) throws IOException {
        try {
            if (socket == null) {
                connect();
            }
            AbstractRequest request = builder.build(version);
            RequestHeader header = new RequestHeader(builder.apiKey(), version, clientId, ++correlationId);
            ByteBuffer frame = request.serializeWithHeader(header);
            byte[] bytes = new byte[4 + frame.remaining()];
            ByteBuffer.wrap(bytes).putInt(frame.remaining()).put(frame);
            out.write(bytes);
            out.flush();
            int size = in.readInt();
            if (size < 0 || size > 256 * 1024 * 1024) {
                throw new IOException("Response of " + size + " bytes from " + address);
            }
            byte[] body = new byte[size];
            in.readFully(body);
            return AbstractResponse.parseResponse(ByteBuffer.wrap(body), header);
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException("Bad response from " + address + ": " + e.getMessage(), e);
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, timeoutMs);
            s.setSoTimeout(timeoutMs);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        InputStream raw = s.getInputStream();
        in = new DataInputStream(new java.io.BufferedInputStream(raw, 64 * 1024));
        out = new java.io.BufferedOutputStream(s.getOutputStream(), 64 * 1024);
    }

    @Override
    public synchronized void close() {
        Socket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }
}
