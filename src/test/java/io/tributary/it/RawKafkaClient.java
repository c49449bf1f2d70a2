package io.tributary.it;

import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * A blocking Kafka connection for tests that need to send exactly the bytes they choose: requests
 * built from kafka-clients' message classes, replayed requests, or raw garbage.
 */
final class RawKafkaClient implements AutoCloseable {

    private final SocketChannel channel;
    private int correlationId;

    RawKafkaClient(int port) throws IOException {
        channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        channel.socket().setSoTimeout(15_000);
    }

    /** Serialises a request with its header, size prefix included. */
    ByteBuffer frame(ApiKeys api, short version, ApiMessage data) throws IOException {
        RequestHeader header = new RequestHeader(api, version, "raw-test", ++correlationId);
        Send send = SendBuilder.buildRequestSend(header, data);
        ByteBufferCollector out = new ByteBufferCollector((int) send.size());
        while (!send.completed()) {
            send.writeTo(out);
        }
        return out.buffer.flip();
    }

    /** Sends a request and parses its answer. */
    AbstractResponse call(ApiKeys api, short version, ApiMessage data) throws IOException {
        RequestHeader header = new RequestHeader(api, version, "raw-test", ++correlationId);
        correlationId--;
        writeFully(frame(api, version, data));
        return AbstractResponse.parseResponse(readFrame(), header);
    }

    void writeFully(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Reads one size-prefixed frame; EOFException if the broker closed the connection. */
    ByteBuffer readFrame() throws IOException {
        ByteBuffer size = ByteBuffer.allocate(4);
        readFully(size);
        ByteBuffer body = ByteBuffer.allocate(size.flip().getInt());
        readFully(body);
        return body.flip();
    }

    private void readFully(ByteBuffer buf) throws IOException {
        var in = channel.socket().getInputStream();
        while (buf.hasRemaining()) {
            int n = in.read(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
            if (n < 0) {
                throw new EOFException("connection closed by the broker");
            }
            buf.position(buf.position() + n);
        }
    }

    /** Whether the broker closed this connection (reads EOF or reset) within the timeout. */
    boolean closedByBroker(Duration timeout) throws IOException {
        channel.socket().setSoTimeout((int) timeout.toMillis());
        try {
            return channel.socket().getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Collects what a Send writes into one heap buffer. */
    private static final class ByteBufferCollector implements TransferableChannel {
        final ByteBuffer buffer;

        ByteBufferCollector(int size) {
            buffer = ByteBuffer.allocate(size);
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += srcs[i].remaining();
                buffer.put(srcs[i]);
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            buffer.put(src);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
