package io.tributary.storage;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * The sparse time index of one segment ({@code NNNNNNNNNNNNNNNNNNNN.timeindex}).
 *
 * <p><b>Layout:</b> 12-byte big-endian entries {@code [timestamp:int64][relativeOffset:int32]}: no record
 * at an offset {@code <= baseOffset + relativeOffset} has a timestamp greater than {@code timestamp}.
 * An entry is only added when the segment's maximum timestamp grows, at most once per index interval,
 * plus a final entry carrying the segment's maximum timestamp when the segment is rolled or closed.
 * Same format as Kafka's.
 *
 * <p><b>Invariants:</b> timestamps and relative offsets strictly increase. Crash behaviour and
 * thread-safety: see {@link AbstractIndex}.
 */
final class TimeIndex extends AbstractIndex {

    static final int ENTRY_SIZE = 12;

    /** A timestamp and the offset it is attached to. */
    record TimestampOffset(long timestamp, long offset) {}

    TimeIndex(Path file, long baseOffset, int maxIndexSize, FileIo fileIo) throws IOException {
        super(file, baseOffset, maxIndexSize, ENTRY_SIZE, fileIo);
    }

    @Override
    protected long keyOf(MappedByteBuffer m, int slot) {
        return m.getLong(slot * ENTRY_SIZE);
    }

    private TimestampOffset entryAt(MappedByteBuffer m, int slot) {
        return new TimestampOffset(m.getLong(slot * ENTRY_SIZE), baseOffset + m.getInt(slot * ENTRY_SIZE + 8));
    }

    /**
     * The entry with the largest timestamp strictly below {@code timestamp}, or empty: every record at an
     * offset up to the returned one is older than {@code timestamp}, so a search can start after it.
     */
    TimestampOffset lastEntryBefore(long timestamp) {
        View v = view();
        int slot = largestLowerBound(v, timestamp, true);
        return slot < 0 ? null : entryAt(v.mmap(), slot);
    }

    /** The last entry, or null if empty. */
    TimestampOffset lastEntry() {
        View v = view();
        return v.entries() == 0 ? null : entryAt(v.mmap(), v.entries() - 1);
    }

    /**
     * Appends {@code (timestamp, offset)} if it extends the index (larger timestamp and offset than the
     * last entry); otherwise does nothing.
     */
    void maybeAppend(long timestamp, long offset) {
        TimestampOffset last = lastEntry();
        if (last != null && (timestamp <= last.timestamp() || offset <= last.offset())) {
            return;
        }
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " does not fit index with base " + baseOffset);
        }
        appendEntry((m, p) -> {
            m.putLong(p, timestamp);
            m.putInt(p + 8, (int) relative);
        });
    }

    /** Removes every entry attached to an offset {@code >= offset}. */
    void truncateTo(long offset) {
        // Entries are sorted by offset too, so find the count to keep by scanning back from the end.
        View v = view();
        int keep = v.entries();
        while (keep > 0 && baseOffset + v.mmap().getInt((keep - 1) * ENTRY_SIZE + 8) >= offset) {
            keep--;
        }
        truncateToEntries(keep);
    }

    @Override
    void sanityCheck(long nextSegmentBaseOffset, long logSizeInBytes) throws CorruptIndexException {
        View v = view();
        long prevTs = Long.MIN_VALUE;
        long prevRel = -1;
        for (int i = 0; i < v.entries(); i++) {
            long ts = v.mmap().getLong(i * ENTRY_SIZE);
            int rel = v.mmap().getInt(i * ENTRY_SIZE + 8);
            if (ts <= prevTs || rel <= prevRel || baseOffset + rel >= nextSegmentBaseOffset) {
                throw new CorruptIndexException("time index " + file + " entry " + i + " (" + ts + ", " + rel
                        + ") is out of order or out of range");
            }
            prevTs = ts;
            prevRel = rel;
        }
    }
}
