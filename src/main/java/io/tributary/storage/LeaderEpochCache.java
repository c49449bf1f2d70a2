package io.tributary.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which leader epoch wrote which part of a partition's log: an ordered map from leader epoch to
 * the first offset written in it, kept in the partition directory as Kafka's
 * {@code leader-epoch-checkpoint}:
 *
 * <pre>
 * 0          version
 * 2          number of entries
 * 0 0        epoch start-offset
 * 3 1200
 * </pre>
 *
 * <p>A replica that becomes a follower asks its leader where the leader's copy of its latest epoch
 * ends (OffsetsForLeaderEpoch) and truncates there, so two replicas never keep different records at
 * the same offset. Epochs and start offsets both strictly increase.
 *
 * <p><b>Crash behaviour:</b> every change rewrites the file through a temp file, fsync and atomic
 * rename. The file may be behind the log (an epoch's first batch was appended, the process died
 * before the write): loading adds missing epochs from the batches' headers via {@link #assign}; it may
 * also be ahead of a log truncated by recovery, which {@link #truncateFromEnd} fixes at load.
 *
 * <p><b>Thread-safety:</b> all methods are synchronized.
 */
public final class LeaderEpochCache {

    /** Kafka's value for "no such epoch / offset". */
    public static final int UNDEFINED_EPOCH = -1;
    public static final long UNDEFINED_OFFSET = -1;

    static final String FILE_NAME = "leader-epoch-checkpoint";
    private static final int VERSION = 0;
    private static final System.Logger LOG = System.getLogger(LeaderEpochCache.class.getName());

    /** The answer to "where does epoch E end?": the largest epoch at or below E and its end offset. */
    public record EpochEndOffset(int leaderEpoch, long endOffset) {
        public static final EpochEndOffset UNDEFINED = new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_OFFSET);
    }

    private final Path file;
    private final FileIo fileIo;
    private final TreeMap<Integer, Long> epochs = new TreeMap<>();

    private LeaderEpochCache(Path file, FileIo fileIo) {
        this.file = file;
        this.fileIo = fileIo;
    }

    /** Reads the checkpoint in {@code dir}; a missing or unreadable file gives an empty cache. */
    static LeaderEpochCache load(Path dir, FileIo fileIo) throws IOException {
        LeaderEpochCache cache = new LeaderEpochCache(dir.resolve(FILE_NAME), fileIo);
        cache.read();
        return cache;
    }

    private void read() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new IllegalArgumentException("bad header");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            for (int i = 2; i < 2 + count; i++) {
                String[] parts = lines.get(i).trim().split(" ");
                epochs.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Ignoring malformed " + file + ": " + e.getMessage());
            epochs.clear();
        }
    }

    /**
     * Records that {@code epoch} starts at {@code startOffset}, if it is newer than the latest epoch
     * known. Entries that the new one contradicts (starting at or after it) are dropped first.
     *
     * @return whether the cache changed
     */
    public synchronized boolean assign(int epoch, long startOffset) {
        if (epoch < 0) {
            return false;
        }
        Map.Entry<Integer, Long> last = epochs.lastEntry();
        if (last != null && epoch <= last.getKey()) {
            return false;
        }
        epochs.values().removeIf(start -> start >= startOffset);
        epochs.put(epoch, startOffset);
        writeQuietly();
        return true;
    }

    /** The latest epoch, or {@link #UNDEFINED_EPOCH} if none is known. */
    public synchronized int latestEpoch() {
        return epochs.isEmpty() ? UNDEFINED_EPOCH : epochs.lastKey();
    }

    public synchronized Optional<Long> startOffsetOf(int epoch) {
        return Optional.ofNullable(epochs.get(epoch));
    }

    /**
     * Kafka's {@code endOffsetFor}: for the latest epoch, the log end offset; for an older one, the
     * start offset of the next epoch after it; for an epoch older than all known,
     * {@link EpochEndOffset#UNDEFINED}. The answer names the largest known epoch at or below the
     * requested one, which a follower needs to find where its own log diverges.
     */
    public synchronized EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
        if (epochs.isEmpty() || requestedEpoch < 0) {
            return EpochEndOffset.UNDEFINED;
        }
        if (requestedEpoch >= epochs.lastKey()) {
            return new EpochEndOffset(epochs.lastKey(), logEndOffset);
        }
        Map.Entry<Integer, Long> floor = epochs.floorEntry(requestedEpoch);
        if (floor == null) {
            return EpochEndOffset.UNDEFINED;
        }
        Map.Entry<Integer, Long> next = epochs.higherEntry(requestedEpoch);
        return new EpochEndOffset(floor.getKey(), next.getValue());
    }

    /** Forgets epochs that start at or after {@code endOffset} (the log was truncated there). */
    public synchronized void truncateFromEnd(long endOffset) {
        if (epochs.values().removeIf(start -> start >= endOffset)) {
            writeQuietly();
        }
    }

    /** Forgets everything (the log was emptied and restarted elsewhere). */
    public synchronized void clear() {
        if (!epochs.isEmpty()) {
            epochs.clear();
            writeQuietly();
        }
    }

    /** A copy of the entries, epoch to start offset, for tests and tools. */
    public synchronized Map<Integer, Long> entries() {
        return new TreeMap<>(epochs);
    }

    private void writeQuietly() {
        try {
            write();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot write " + file, e);
        }
    }

    private void write() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(Integer.toString(VERSION));
        lines.add(Integer.toString(epochs.size()));
        epochs.forEach((epoch, start) -> lines.add(epoch + " " + start));
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            fileIo.fsync(ch, tmp, true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fileIo.fsyncDirectory(file.getParent());
    }
}
