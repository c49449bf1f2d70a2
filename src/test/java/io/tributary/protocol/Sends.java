package io.tributary.protocol;

import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Test helper: what a {@link Send} writes to the wire, gathered in memory. */
final class Sends {

    private Sends() {
    }

    /** The bytes of a request or response send, without its 4-byte size prefix. */
    static ByteBuffer serialize(Send send) throws IOException {
        ByteBuffer out = ByteBuffer.allocate((int) send.size());
        TransferableChannel sink = new TransferableChannel() {
            public boolean hasPendingWrites() {
                return false;
            }

            public long transferFrom(FileChannel fc, long position, long count) throws IOException {
                int before = out.position();
                ByteBuffer slice = out.slice(before, (int) count);
                while (slice.hasRemaining()) {
                    fc.read(slice, position + slice.position());
                }
                out.position(before + (int) count);
                return count;
            }

            public long write(ByteBuffer[] srcs, int offset, int length) {
                long n = 0;
                for (int i = offset; i < offset + length; i++) {
                    n += srcs[i].remaining();
                    out.put(srcs[i]);
                }
                return n;
            }

            public long write(ByteBuffer[] srcs) {
                return write(srcs, 0, srcs.length);
            }

            public int write(ByteBuffer src) {
                int n = src.remaining();
                out.put(src);
                return n;
            }

            public boolean isOpen() {
                return true;
            }

            public void close() {
            }
        };
        while (!send.completed()) {
            send.writeTo(sink);
        }
        return out.flip().position(4).slice();
    }
}
