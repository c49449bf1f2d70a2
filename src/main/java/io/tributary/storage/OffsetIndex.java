package io.tributary.storage;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * The sparse offset index of one segment ({@code NNNNNNNNNNNNNNNNNNNN.index}).
 *
 * <p><b>Layout:</b> 8-byte big-endian entries {@code [relativeOffset:int32][position:int32]}, where
 * {@code relativeOffset = lastOffset - baseOffset} of a batch and {@code position} is the byte position of
 * that batch in the {@code .log} file. An entry is written when more than {@code index.interval.bytes}
 * have been appended since the previous one, so the batch holding any offset starts at most one index
 * interval (plus one batch) after the position {@link #lookup} returns. Same format as Kafka's.
 *
 * <p><b>Invariants:</b> relative offsets and positions strictly increase; every position is inside the
 * log file. Crash behaviour and thread-safety: see {@link AbstractIndex}.
 */
final class OffsetIndex extends AbstractIndex {

    static final int ENTRY_SIZE = 8;

    /** A position in a segment's log file and the offset it is known to be at or before. */
    record OffsetPosition(long offset, int position) {}

    OffsetIndex(Path file, long baseOffset, int maxIndexSize, FileIo fileIo) throws IOException {
        super(file, baseOffset, maxIndexSize, ENTRY_SIZE, fileIo);
    }

    @Override
    protected long keyOf(MappedByteBuffer m, int slot) {
        return m.getInt(slot * ENTRY_SIZE);
    }

    /**
     * The entry with the largest offset {@code <= targetOffset}, or {@code (baseOffset, 0)} if none: the
     * batch containing {@code targetOffset} starts at or after the returned position.
     */
    OffsetPosition lookup(long targetOffset) {
        View v = view();
        int slot = largestLowerBound(v, targetOffset - baseOffset, false);
        if (slot < 0) {
            return new OffsetPosition(baseOffset, 0);
        }
        return entryAt(v.mmap(), slot);
    }

    private OffsetPosition entryAt(MappedByteBuffer m, int slot) {
        return new OffsetPosition(baseOffset + m.getInt(slot * ENTRY_SIZE), m.getInt(slot * ENTRY_SIZE + 4));
    }

    /** The last entry, or {@code (baseOffset, 0)} if empty. */
    OffsetPosition lastEntry() {
        View v = view();
        return v.entries() == 0 ? new OffsetPosition(baseOffset, 0) : entryAt(v.mmap(), v.entries() - 1);
    }

    /** Appends {@code (offset, position)}; the caller keeps offsets and positions increasing. */
    void append(long offset, int position) {
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " does not fit index with base " + baseOffset);
        }
        appendEntry((m, p) -> {
            m.putInt(p, (int) relative);
            m.putInt(p + 4, position);
        });
    }

    /** Removes every entry for an offset {@code >= offset}. */
    void truncateTo(long offset) {
        truncateToKey(offset - baseOffset);
    }

    @Override
    void sanityCheck(long nextSegmentBaseOffset, long logSizeInBytes) throws CorruptIndexException {
        View v = view();
        int prevOffset = -1;
        int prevPosition = -1;
        for (int i = 0; i < v.entries(); i++) {
            int rel = v.mmap().getInt(i * ENTRY_SIZE);
            int pos = v.mmap().getInt(i * ENTRY_SIZE + 4);
            if (rel <= prevOffset || pos <= prevPosition || pos >= logSizeInBytes
                    || baseOffset + rel >= nextSegmentBaseOffset) {
                throw new CorruptIndexException("offset index " + file + " entry " + i + " (" + rel + ", " + pos
                        + ") is out of order or out of range (log size " + logSizeInBytes + ")");
            }
            prevOffset = rel;
            prevPosition = pos;
        }
    }
}
