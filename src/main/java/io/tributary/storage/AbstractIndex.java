package io.tributary.storage;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped file of fixed-size, sorted entries keyed by an offset relative to the segment's base
 * offset. Subclasses define the entry layout; this class owns the mapping, the entry count, resizing and
 * the binary search.
 *
 * <p><b>Crash behaviour:</b> the file of the active segment is preallocated to its maximum size and
 * zero-filled past the last entry; it is trimmed to the exact entry count on roll and on close. After a
 * crash the entry count is therefore unknown, which is why unflushed segments rebuild their indexes from
 * the log; flushed ones are checked by {@link #sanityCheck} and rebuilt if it fails. An index is derived
 * data: it is never the source of truth.
 *
 * <p><b>Thread-safety:</b> mutations ({@link #appendEntry}, {@link #truncateToEntries}, {@link #resize},
 * {@link #flush}, {@link #close}) are serialised by {@code mapLock}; lookups are lock-free. A lookup reads
 * the volatile entry count before the volatile mapping, and a writer publishes a larger mapping before a
 * larger count, so a reader never indexes past the mapping it holds.
 */
abstract class AbstractIndex implements AutoCloseable {

    protected final Path file;
    protected final long baseOffset;
    private final int entrySize;
    private final FileIo fileIo;
    /** Guards remapping, appends, truncation and close. */
    private final Object mapLock = new Object();
    private volatile MappedByteBuffer mmap;
    private volatile int entries;
    private volatile int maxEntries;
    private boolean closed;

    /**
     * Opens or creates the index. An existing file is mapped at its current length and its entry count
     * is taken as {@code length / entrySize} (exact for a trimmed file; callers sanity-check).
     * A new file is preallocated to {@code maxIndexSize} rounded down to whole entries.
     */
    AbstractIndex(Path file, long baseOffset, int maxIndexSize, int entrySize, FileIo fileIo) throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entrySize = entrySize;
        this.fileIo = fileIo;
        boolean exists = Files.exists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long length;
            if (!exists || ch.size() == 0) {
                length = roundDown(maxIndexSize);
                ch.truncate(0);
                if (length > 0) {
                    // Extending by writing the last byte gives a sparse, zero-filled file without touching every page.
                    ch.write(java.nio.ByteBuffer.wrap(new byte[1]), length - 1);
                }
                this.entries = 0;
            } else {
                length = ch.size();
                this.entries = (int) (roundDown(length) / entrySize);
            }
            this.mmap = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            this.maxEntries = (int) (length / entrySize);
        }
    }

    private long roundDown(long size) {
        return size - (size % entrySize);
    }

    final int entries() {
        return entries;
    }

    final int maxEntries() {
        return maxEntries;
    }

    final boolean isFull() {
        return entries >= maxEntries;
    }

    final int entrySize() {
        return entrySize;
    }

    final Path file() {
        return file;
    }

    long sizeInBytes() {
        return (long) entries * entrySize;
    }

    /** Relative offset of the entry's key; used by the search and by truncation. */
    protected abstract long keyOf(MappedByteBuffer m, int slot);

    /** Snapshot of the entry count and mapping in the order that keeps lookups in bounds. */
    protected record View(int entries, MappedByteBuffer mmap) {}

    protected final View view() {
        int n = entries;
        return new View(n, mmap);
    }

    /**
     * The slot of the largest entry whose key is {@code <= target} ({@code strict == false}) or
     * {@code < target} ({@code strict == true}); -1 if there is none.
     */
    protected final int largestLowerBound(View v, long target, boolean strict) {
        int lo = 0;
        int hi = v.entries() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long key = keyOf(v.mmap(), mid);
            boolean below = strict ? key < target : key <= target;
            if (below) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Writes one entry at the end; the caller has checked {@link #isFull()}. */
    protected final void appendEntry(EntryWriter writer) {
        synchronized (mapLock) {
            ensureOpen();
            int n = entries;
            if (n >= maxEntries) {
                throw new IllegalStateException("index " + file + " is full (" + n + " entries)");
            }
            writer.write(mmap, n * entrySize);
            entries = n + 1;
        }
    }

    @FunctionalInterface
    protected interface EntryWriter {
        void write(MappedByteBuffer m, int position);
    }

    /** Drops every entry whose key is {@code >= relativeKey}. */
    protected final void truncateToKey(long relativeKey) {
        synchronized (mapLock) {
            View v = view();
            int keep = largestLowerBound(v, relativeKey, true) + 1;
            truncateToEntries(keep);
        }
    }

    final void truncateToEntries(int n) {
        synchronized (mapLock) {
            ensureOpen();
            int old = entries;
            if (n < old) {
                // Zero the dropped tail so a later crash cannot resurrect stale entries from the preallocated area.
                MappedByteBuffer m = mmap;
                for (int i = n * entrySize; i < old * entrySize; i++) {
                    m.put(i, (byte) 0);
                }
                entries = n;
            }
        }
    }

    /**
     * Changes the file length to {@code newSize} rounded down to whole entries (at least the current
     * entries) and remaps. Used to trim on roll/close and to grow back when a segment becomes active.
     */
    final void resize(int newSize) throws IOException {
        synchronized (mapLock) {
            ensureOpen();
            long length = Math.max(roundDown(newSize), (long) entries * entrySize);
            if (length == mmap.capacity()) {
                return;
            }
            mmap.force();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (length < ch.size()) {
                    ch.truncate(length);
                } else if (length > ch.size()) {
                    ch.write(java.nio.ByteBuffer.wrap(new byte[1]), length - 1);
                }
                MappedByteBuffer remapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
                // Publish the mapping before the capacity that depends on it.
                mmap = remapped;
                maxEntries = (int) (length / entrySize);
                fileIo.fsync(ch, file, true);
            }
        }
    }

    final void trimToValidSize() throws IOException {
        resize((int) Math.min(Integer.MAX_VALUE, (long) entries * entrySize));
    }

    void flush() throws IOException {
        synchronized (mapLock) {
            if (!closed) {
                fileIo.fsyncMapped(mmap, file);
            }
        }
    }

    /** Drops all entries. */
    final void reset() {
        truncateToEntries(0);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("index " + file + " is closed");
        }
    }

    /** Trims and releases; idempotent. The mapping itself is released by the GC. */
    @Override
    public void close() throws IOException {
        synchronized (mapLock) {
            if (closed) {
                return;
            }
            trimToValidSize();
            closed = true;
        }
    }

    /** Releases without trimming or flushing, as a crash would; for tests and for deleted segments. */
    void abandon() {
        synchronized (mapLock) {
            closed = true;
        }
    }

    /** Checks the invariants a sane index file must hold; throws {@link CorruptIndexException} if not. */
    abstract void sanityCheck(long nextSegmentBaseOffset, long logSizeInBytes) throws CorruptIndexException;

    /** An index file that breaks its invariants; it is rebuilt from the log. */
    static final class CorruptIndexException extends Exception {
        CorruptIndexException(String message) {
            super(message);
        }
    }
}
