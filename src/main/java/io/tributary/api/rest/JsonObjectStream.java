package io.tributary.api.rest;

import jakarta.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Splits a body of JSON objects sent one after another ({@code {...} {...}\n{...}}) into single
 * objects as their last byte arrives, so a streaming producer gets each answer without waiting for
 * the end of the request. It tracks only nesting depth and string/escape state; each object is
 * then parsed strictly by JSON-P.
 *
 * <p>The body is read in large pieces into one buffer and scanned there (reading it byte by byte
 * through a stream cost more than the rest of a record's work). The scan is resumable, so
 * {@link #nextIsBuffered()} can tell without blocking whether the bytes already received hold a
 * whole further object, which lets a caller store every record already received in one append and
 * answer them with one flush.
 *
 * <p>Not thread-safe: one reader per request.
 */
final class JsonObjectStream {

    /** Bounds the memory one record can take before it is parsed. */
    static final int MAX_OBJECT_BYTES = 16 << 20;

    private static final int READ_SIZE = 64 << 10;

    private final InputStream in;
    private byte[] buffer = new byte[READ_SIZE];
    /** Next byte to scan. */
    private int position;
    /** End of the bytes read into {@link #buffer}. */
    private int limit;
    /** Where the object being scanned starts, or -1 between objects. */
    private int start = -1;
    private int depth;
    private boolean inString;
    private boolean escaped;
    /** The object from {@link #start} to {@link #position} is whole. */
    private boolean complete;
    private boolean ended;

    JsonObjectStream(InputStream in) {
        this.in = in;
    }

    /** True if another object follows (skips whitespace; blocks until a byte or the end arrives). */
    boolean hasNext() throws IOException {
        while (true) {
            if (start >= 0) {
                return true;
            }
            skipSeparators();
            if (position < limit) {
                return true;
            }
            if (!fill()) {
                return false;
            }
        }
    }

    /**
     * True if {@link #next()} would answer without waiting for more of the body: a whole object,
     * malformed input or the end of the body has already been received.
     */
    boolean nextIsBuffered() {
        if (ended) {
            return true;
        }
        try {
            return scanBuffered();
        } catch (RestException e) {
            return true;
        }
    }

    /**
     * The next object, or empty at the end of the body.
     *
     * @throws RestException 400 for malformed JSON (the stream cannot go on after it), 413 for an
     *                       object larger than {@link #MAX_OBJECT_BYTES}
     */
    Optional<JsonObject> next() throws IOException {
        return next(JsonBodies::object);
    }

    /** Makes a value of the bytes of one whole object. */
    interface ObjectReader<T> {
        T read(byte[] bytes, int offset, int length);
    }

    /**
     * The next object as {@code reader} reads its bytes, or empty at the end of the body.
     *
     * @throws RestException as {@link #next()}, and whatever {@code reader} throws
     */
    <T> Optional<T> next(ObjectReader<T> reader) throws IOException {
        while (!scanBuffered()) {
            if (!fill()) {
                if (start < 0) {
                    return Optional.empty();
                }
                throw RestException.badRequest("Malformed JSON: the body ended inside a record object");
            }
        }
        int from = start;
        start = -1;
        complete = false;
        return Optional.of(reader.read(buffer, from, position - from));
    }

    /** Scans what is buffered; true when an object is complete (it ends just before {@link #position}). */
    private boolean scanBuffered() {
        if (complete) {
            return true;
        }
        if (start < 0) {
            skipSeparators();
            if (position == limit) {
                return false;
            }
            byte c = buffer[position];
            if (c != '{') {
                throw RestException.badRequest("Malformed JSON: expected '{' to start a record, found '" + (char) (c & 0xff) + "'");
            }
            start = position;
            depth = 0;
            inString = false;
            escaped = false;
        }
        byte[] b = buffer;
        int p = position;
        int end = limit;
        while (p < end) {
            byte c = b[p++];
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                complete = true;
                break;
            }
        }
        position = p;
        if (position - start > MAX_OBJECT_BYTES) {
            throw new RestException(413, "A record object is larger than " + MAX_OBJECT_BYTES + " bytes");
        }
        return complete;
    }

    private void skipSeparators() {
        while (position < limit) {
            byte c = buffer[position];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != ',') {
                return;
            }
            position++;
        }
    }

    /** Reads more of the body, keeping the object being scanned; false at the end of the body. */
    private boolean fill() throws IOException {
        if (ended) {
            return false;
        }
        int keep = start >= 0 ? start : position;
        if (keep > 0) {
            System.arraycopy(buffer, keep, buffer, 0, limit - keep);
            limit -= keep;
            position -= keep;
            if (start >= 0) {
                start = 0;
            }
        }
        if (limit == buffer.length) {
            byte[] larger = new byte[Math.min(buffer.length * 2, MAX_OBJECT_BYTES + READ_SIZE)];
            System.arraycopy(buffer, 0, larger, 0, limit);
            buffer = larger;
        }
        int n;
        do {
            n = in.read(buffer, limit, buffer.length - limit);
        } while (n == 0);
        if (n < 0) {
            ended = true;
            return false;
        }
        limit += n;
        return true;
    }
}
