package io.tributary.api.rest;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * A cursor over JSON bytes that takes only the plainest form of each token: strings of printable
 * ASCII without escapes, whole numbers without sign, fraction or exponent (a sign only where asked),
 * {@code null}, and the structural characters with JSON whitespace between them. Every method
 * throws {@link NotPlain} at the first byte outside that form, or when the bytes end; the
 * scanners built on it (for record batches and record objects) then give up and leave the body
 * to JSON-P, which alone answers errors. What it accepts is a strict subset of JSON, read as JSON
 * reads it.
 *
 * <p>Not thread-safe: one cursor per body.
 */
final class PlainJson {

    /** Thrown at the first byte outside the plain form; carries nothing, so costs nothing to make. */
    static final class NotPlain extends RuntimeException {
        private NotPlain() {
            super(null, null, false, false);
        }
    }

    static final NotPlain NOT_PLAIN = new NotPlain();
    private static final Base64.Decoder BASE64 = Base64.getDecoder();

    private final byte[] b;
    private final int end;
    /** The whole body; each base64 string is decoded through it by moving its position and limit. */
    private final ByteBuffer source;
    private int at;
    /** Where the last string's characters are, from {@link #string()}. */
    private int stringStart;
    private int stringEnd;

    /** A cursor over {@code length} bytes of {@code bytes} from {@code offset}. */
    PlainJson(byte[] bytes, int offset, int length) {
        this.b = bytes;
        this.at = offset;
        this.end = offset + length;
        this.source = ByteBuffer.wrap(bytes);
    }

    /** True if only whitespace is left. */
    boolean atEnd() {
        space();
        return at == end;
    }

    void space() {
        while (at < end) {
            byte c = b[at];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            at++;
        }
    }

    /** Skips whitespace, then takes {@code c} if it comes next. */
    boolean take(char c) {
        space();
        if (at < end && b[at] == c) {
            at++;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!take(c)) {
            throw NOT_PLAIN;
        }
    }

    /** A string; its characters are then compared with {@link #is} or decoded with {@link #base64()}. */
    void string() {
        expect('"');
        int start = at;
        int c;
        while ((c = byteAt(at)) != '"') {
            if (c == '\\' || c < 0x20) {
                // Escapes, control characters, and (as negative bytes) anything not ASCII.
                throw NOT_PLAIN;
            }
            at++;
        }
        stringStart = start;
        stringEnd = at;
        at++;
    }

    /**
     * {@code seen} (a bit per field index already read in this object) with {@code field} added; a
     * repeated field is not plain (the tree takes the last one, this reader does not guess).
     */
    static int once(int seen, int field) {
        if ((seen & 1 << field) != 0) {
            throw NOT_PLAIN;
        }
        return seen | 1 << field;
    }

    /** An object's field name and its colon: the index of the name in {@code names}. */
    int field(byte[][] names) {
        string();
        for (int f = 0; f < names.length; f++) {
            if (is(names[f])) {
                expect(':');
                return f;
            }
        }
        throw NOT_PLAIN;
    }

    /** True if the last string is {@code name}. */
    boolean is(byte[] name) {
        if (stringEnd - stringStart != name.length) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (b[stringStart + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    /** A string holding base64: its decoded bytes. */
    ByteBuffer base64() {
        string();
        source.limit(stringEnd).position(stringStart);
        try {
            return BASE64.decode(source);
        } catch (IllegalArgumentException e) {
            throw NOT_PLAIN;
        }
    }

    /**
     * A whole number of 1 to {@code maxDigits} digits right here (no whitespace skipped: it may
     * follow a sign), without a leading zero, a fraction or an exponent.
     */
    long digits(int maxDigits) {
        int start = at;
        long n = 0;
        int c;
        while ((c = byteAt(at)) >= '0' && c <= '9') {
            n = n * 10 + (c - '0');
            at++;
        }
        int count = at - start;
        if (count == 0 || count > maxDigits || count > 1 && b[start] == '0' || c == '.' || c == 'e' || c == 'E') {
            throw NOT_PLAIN;
        }
        return n;
    }

    /** Takes {@code null} if it comes next. */
    boolean takeNull() {
        space();
        if (at < end && b[at] == 'n') {
            if (byteAt(at + 1) != 'u' || byteAt(at + 2) != 'l' || byteAt(at + 3) != 'l') {
                throw NOT_PLAIN;
            }
            at += 4;
            return true;
        }
        return false;
    }

    /** The byte at {@code i}, or -1 past the end (which no caller takes). */
    private int byteAt(int i) {
        return i < end ? b[i] : -1;
    }

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
