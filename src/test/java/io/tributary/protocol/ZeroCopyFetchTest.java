package io.tributary.protocol;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A Fetch answer carrying a log file slice goes to the socket through
 * {@link SocketTransferChannel#transferFrom} (the file channel's transferTo), and arrives as the
 * exact bytes of the file.
 */
class ZeroCopyFetchTest {

    @TempDir
    Path tmp;

    @Test
    void fileRecordsAreTransferredFromTheFileAndArriveIntact() throws Exception {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1 << 20), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        for (int i = 0; i < 2_000; i++) {
            b.append(1_000L + i, null, ("value-" + i + "-" + "x".repeat(200)).getBytes(StandardCharsets.UTF_8));
        }
        MemoryRecords records = b.build();
        byte[] logBytes = new byte[records.sizeInBytes()];
        records.buffer().duplicate().get(logBytes);

        try (FileRecords file = FileRecords.open(tmp.resolve("00000000000000000000.log").toFile())) {
            file.append(records);
            file.flush();
            FetchResponseData data = new FetchResponseData();
            data.responses().add(new FetchResponseData.FetchableTopicResponse().setTopic("t").setPartitions(
                    java.util.List.of(new FetchResponseData.PartitionData().setPartitionIndex(0).setHighWatermark(2_000)
                            .setRecords(file.slice(0, file.sizeInBytes())))));
            RequestHeader header = new RequestHeader(ApiKeys.FETCH, (short) 12, "t", 7);
            Send send = SendBuilder.buildResponseSend(header.toResponseHeader(), data, (short) 12);

            long[] transferred = new long[1];
            try (ServerSocket server = new ServerSocket()) {
                server.bind(new InetSocketAddress("127.0.0.1", 0));
                try (SocketChannel out = SocketChannel.open(server.getLocalSocketAddress());
                     Socket in = server.accept()) {
                    SocketTransferChannel channel = new SocketTransferChannel(out);
                    Thread writer = new Thread(() -> {
                        try {
                            while (!send.completed()) {
                                send.writeTo(new CountingChannel(channel, transferred));
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    writer.start();
                    DataInputStream stream = new DataInputStream(in.getInputStream());
                    byte[] body = new byte[stream.readInt()];
                    stream.readFully(body);
                    writer.join();
                    FetchResponse response = (FetchResponse) AbstractResponse.parseResponse(ByteBuffer.wrap(body), header);
                    MemoryRecords got = (MemoryRecords) response.data().responses().get(0).partitions().get(0).records();
                    byte[] gotBytes = new byte[got.sizeInBytes()];
                    got.buffer().duplicate().get(gotBytes);
                    assertArrayEquals(logBytes, gotBytes, "the records on the wire are the bytes in the log");
                }
            }
            assertEquals(logBytes.length, transferred[0], "every record byte went through transferFrom");
        }
    }

    /** Counts what goes through transferFrom. */
    private static final class CountingChannel implements org.apache.kafka.common.network.TransferableChannel {
        private final SocketTransferChannel delegate;
        private final long[] transferred;

        CountingChannel(SocketTransferChannel delegate, long[] transferred) {
            this.delegate = delegate;
            this.transferred = transferred;
        }

        @Override
        public boolean hasPendingWrites() {
            return delegate.hasPendingWrites();
        }

        @Override
        public long transferFrom(java.nio.channels.FileChannel fileChannel, long position, long count)
                throws java.io.IOException {
            long n = delegate.transferFrom(fileChannel, position, count);
            transferred[0] += n;
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws java.io.IOException {
            return delegate.write(srcs, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws java.io.IOException {
            return delegate.write(srcs);
        }

        @Override
        public int write(ByteBuffer src) throws java.io.IOException {
            return delegate.write(src);
        }

        @Override
        public boolean isOpen() {
            return delegate.isOpen();
        }

        @Override
        public void close() throws java.io.IOException {
            delegate.close();
        }
    }
}
