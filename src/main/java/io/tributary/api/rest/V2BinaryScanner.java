package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.records.ProducedRecord;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads a v2 batch of binary records in its plainest form straight from the body's bytes:
 * {@code {"records": [{"key": "<base64>", "value": "<base64>", "partition": 1, "timestamp": 5}, ...]}}
 * with any of the four fields absent or null, {@code "headers": null}, and JSON whitespace anywhere
 * between tokens. Base64 is decoded from the body itself, with no character, string or JSON value
 * made on the way.
 *
 * <p>It accepts a strict subset of what the JSON tree ({@link V2RecordParser#tree}) accepts and
 * reads it into the same records. Anything else (another top-level field, an unknown or repeated
 * record field, headers, a backslash, a control or non-ASCII character, a number with a sign where
 * none is allowed, a fraction or an exponent, invalid base64, a partition other than the path's, an
 * empty batch, text after the object) gives null: the caller then reads the body the general way,
 * so errors are only ever answered there.
 *
 * <p>Not thread-safe: one scanner per body.
 */
final class V2BinaryScanner {

    /** Thrown at the first byte outside the plain form; carries nothing, so costs nothing to make. */
    private static final class NotPlain extends RuntimeException {
        NotPlain() {
            super(null, null, false, false);
        }
    }

    private static final NotPlain NOT_PLAIN = new NotPlain();
    private static final Base64.Decoder BASE64 = Base64.getDecoder();

    private static final byte[] RECORDS = {'r', 'e', 'c', 'o', 'r', 'd', 's'};
    private static final byte[][] FIELDS = {
        {'k', 'e', 'y'}, {'v', 'a', 'l', 'u', 'e'}, {'p', 'a', 'r', 't', 'i', 't', 'i', 'o', 'n'},
        {'t', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p'}, {'h', 'e', 'a', 'd', 'e', 'r', 's'},
    };
    private static final int KEY = 0;
    private static final int VALUE = 1;
    private static final int PARTITION = 2;
    private static final int TIMESTAMP = 3;
    private static final int HEADERS = 4;

    private final byte[] b;
    /** The whole body; each base64 string is decoded through it by moving its position and limit. */
    private final ByteBuffer source;
    private final int pathPartition;
    private int at;

    private V2BinaryScanner(byte[] body, int pathPartition) {
        this.b = body;
        this.source = ByteBuffer.wrap(body);
        this.pathPartition = pathPartition;
    }

    /** The records of {@code body} if it is a batch in the plain form, else null. */
    static List<ProduceRequest> scan(byte[] body, int pathPartition) {
        if (body == null) {
            return null;
        }
        try {
            return new V2BinaryScanner(body, pathPartition).batch();
        } catch (NotPlain | ArrayIndexOutOfBoundsException e) {
            // The body ended early, or is not in the plain form.
            return null;
        }
    }

    private List<ProduceRequest> batch() {
        space();
        expect('{');
        space();
        string();
        if (!nameIs(RECORDS)) {
            throw NOT_PLAIN;
        }
        space();
        expect(':');
        space();
        expect('[');
        space();
        List<ProduceRequest> requests = new ArrayList<>();
        do {
            space();
            requests.add(record(requests.size()));
            space();
        } while (take(','));
        expect(']');
        space();
        expect('}');
        space();
        if (at != b.length) {
            throw NOT_PLAIN;
        }
        return requests;
    }

    private ProduceRequest record(int i) {
        expect('{');
        space();
        ByteBuffer key = null;
        ByteBuffer value = null;
        long timestamp = -1;
        int partition = pathPartition;
        if (!take('}')) {
            int seen = 0;
            do {
                space();
                string();
                int field = field();
                if ((seen & 1 << field) != 0) {
                    throw NOT_PLAIN;
                }
                seen |= 1 << field;
                space();
                expect(':');
                space();
                boolean isNull = takeNull();
                switch (field) {
                    case KEY -> key = isNull ? null : base64();
                    case VALUE -> value = isNull ? null : base64();
                    case PARTITION -> {
                        if (!isNull) {
                            // No sign: a negative partition is refused by the tree.
                            long own = digits(9);
                            if (pathPartition >= 0 && own != pathPartition) {
                                throw NOT_PLAIN;
                            }
                            partition = (int) own;
                        }
                    }
                    case TIMESTAMP -> {
                        if (!isNull) {
                            boolean negative = take('-');
                            long t = digits(18);
                            timestamp = negative ? -t : t;
                        }
                    }
                    default -> {
                        // HEADERS: only null is plain.
                        if (!isNull) {
                            throw NOT_PLAIN;
                        }
                    }
                }
                space();
            } while (take(','));
            expect('}');
        }
        return new ProduceRequest(new ProducedRecord(key, value, timestamp, ProducedRecord.NO_HEADERS), partition);
    }

    // Set by string(): where the last string's characters are.
    private int stringStart;
    private int stringEnd;

    /** A string of plain ASCII characters (no escape); leaves its bounds in stringStart and stringEnd. */
    private void string() {
        expect('"');
        int start = at;
        int c;
        while ((c = b[at]) != '"') {
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

    private boolean nameIs(byte[] name) {
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

    private int field() {
        for (int f = KEY; f <= HEADERS; f++) {
            if (nameIs(FIELDS[f])) {
                return f;
            }
        }
        throw NOT_PLAIN;
    }

    private ByteBuffer base64() {
        string();
        source.limit(stringEnd).position(stringStart);
        try {
            return BASE64.decode(source);
        } catch (IllegalArgumentException e) {
            throw NOT_PLAIN;
        }
    }

    /** A whole number of 1 to {@code max} digits, without a leading zero, a fraction or an exponent. */
    private long digits(int max) {
        int start = at;
        long n = 0;
        int c;
        while ((c = b[at]) >= '0' && c <= '9') {
            n = n * 10 + (c - '0');
            at++;
        }
        int count = at - start;
        if (count == 0 || count > max || count > 1 && b[start] == '0' || c == '.' || c == 'e' || c == 'E') {
            throw NOT_PLAIN;
        }
        return n;
    }

    private boolean takeNull() {
        if (b[at] == 'n') {
            if (b[at + 1] != 'u' || b[at + 2] != 'l' || b[at + 3] != 'l') {
                throw NOT_PLAIN;
            }
            at += 4;
            return true;
        }
        return false;
    }

    private void space() {
        while (at < b.length) {
            byte c = b[at];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            at++;
        }
    }

    private boolean take(char c) {
        if (at < b.length && b[at] == c) {
            at++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!take(c)) {
            throw NOT_PLAIN;
        }
    }
}
