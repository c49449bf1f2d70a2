package io.tributary.storage;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The seam through which the engine makes data durable. Every fsync of a log file, an index and a
 * checkpoint goes through here, so tests can count fsyncs or inject I/O faults.
 *
 * <p>Implementations must be thread-safe.
 */
public interface FileIo {

    /** Forces a file's content (and metadata if asked) to the device. */
    void fsync(FileChannel channel, Path file, boolean metadata) throws IOException;

    /** Forces a memory-mapped index to the device. */
    void fsyncMapped(MappedByteBuffer buffer, Path file) throws IOException;

    /** Makes a directory's entries (creates, renames, deletes) durable. */
    void fsyncDirectory(Path dir) throws IOException;

    /** The real thing. */
    static FileIo system() {
        return SystemFileIo.INSTANCE;
    }

    /** Plain delegation to the JDK; stateless. */
    final class SystemFileIo implements FileIo {
        static final SystemFileIo INSTANCE = new SystemFileIo();

        private SystemFileIo() {
        }

        @Override
        public void fsync(FileChannel channel, Path file, boolean metadata) throws IOException {
            channel.force(metadata);
        }

        @Override
        public void fsyncMapped(MappedByteBuffer buffer, Path file) {
            buffer.force();
        }

        @Override
        public void fsyncDirectory(Path dir) throws IOException {
            // Opening a directory for read and forcing it is how the JDK reaches fsync(dirfd) on Linux;
            // other platforms may refuse, and there is nothing more to do for them.
            try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException e) {
                if (System.getProperty("os.name", "").toLowerCase().contains("win")) {
                    return;
                }
                throw e;
            }
        }
    }
}
