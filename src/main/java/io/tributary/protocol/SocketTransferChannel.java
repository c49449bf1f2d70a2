package io.tributary.protocol;

import org.apache.kafka.common.network.TransferableChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;

/**
 * A plain socket as kafka-clients' {@link TransferableChannel}, so a response's {@code Send}
 * writes header bytes with gathering writes and log data with {@link FileChannel#transferTo}:
 * the records of a Fetch go from the page cache to the socket without passing through the heap.
 *
 * <p>Not thread-safe: used by the one network thread that owns the connection.
 */
final class SocketTransferChannel implements TransferableChannel {

    private final SocketChannel socket;

    SocketTransferChannel(SocketChannel socket) {
        this.socket = socket;
    }

    @Override
    public boolean hasPendingWrites() {
        // No TLS layer buffering bytes of its own: what write() took is in the kernel.
        return false;
    }

    @Override
    public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
        return fileChannel.transferTo(position, count, socket);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return socket.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return socket.write(srcs);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return socket.write(src);
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
