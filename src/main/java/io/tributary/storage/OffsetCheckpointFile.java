package io.tributary.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * A per-log-dir file mapping partitions to an offset, in Kafka's text format (used for
 * {@code recovery-point-offset-checkpoint} and {@code log-start-offset-checkpoint}):
 *
 * <pre>
 * 0                 version
 * 2                 number of entries
 * orders 0 1234     topic partition offset
 * orders 1 987
 * </pre>
 *
 * <p><b>Crash behaviour:</b> written to {@code <name>.tmp}, fsynced, atomically renamed over the old file,
 * then the directory is fsynced; a reader sees the old file or the new one, never a mix. A file that
 * cannot be parsed is logged and treated as empty, which is safe for both uses (recover everything; start
 * at the first segment).
 *
 * <p><b>Thread-safety:</b> {@link #write} is synchronized; {@link #read} only reads complete files.
 */
final class OffsetCheckpointFile {

    private static final System.Logger LOG = System.getLogger(OffsetCheckpointFile.class.getName());
    private static final int VERSION = 0;

    private final Path file;
    private final FileIo fileIo;

    OffsetCheckpointFile(Path file, FileIo fileIo) {
        this.file = file;
        this.fileIo = fileIo;
    }

    Path file() {
        return file;
    }

    synchronized void write(Map<TopicPartition, Long> offsets) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(VERSION).append('\n').append(offsets.size()).append('\n');
        for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
            sb.append(e.getKey().topic()).append(' ').append(e.getKey().partition()).append(' ')
                    .append(e.getValue()).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            fileIo.fsync(ch, tmp, true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fileIo.fsyncDirectory(file.getParent());
    }

    Map<TopicPartition, Long> read() throws IOException {
        if (!Files.exists(file)) {
            return Map.of();
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new IllegalArgumentException("bad header");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (lines.size() < 2 + count) {
                throw new IllegalArgumentException("expected " + count + " entries");
            }
            Map<TopicPartition, Long> out = new HashMap<>();
            for (int i = 2; i < 2 + count; i++) {
                String[] parts = lines.get(i).trim().split(" ");
                if (parts.length != 3) {
                    throw new IllegalArgumentException("bad line " + lines.get(i));
                }
                out.put(new TopicPartition(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
            }
            return out;
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "Ignoring malformed checkpoint file " + file + ": " + e.getMessage());
            return Map.of();
        }
    }
}
