package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceResult;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The answer of a v2 batched produce, {@code {"key_schema_id":null,"offsets":[...],"value_schema_id":null}},
 * byte for byte as the API's JSON-B codec writes a {@link V2Dtos.ProduceResponse} (snake_case,
 * fields in lexicographic order, nulls included).
 *
 * <p>The answer holds nothing but fixed ASCII names and whole numbers, so it is written straight
 * into one byte array of the exact size: with a JSON generator, the per-offset contexts, the
 * number strings, the character buffer and its encoding to UTF-8 were a large share of a batch's
 * work. Nothing here needs escaping; a field that does must not be added without it.
 *
 * <p>Stateless and thread-safe.
 */
final class V2ProduceAnswer {

    private static final byte[] HEAD = ascii("{\"key_schema_id\":null,\"offsets\":[");
    private static final byte[] OFFSET = ascii("{\"error\":null,\"error_code\":null,\"offset\":");
    private static final byte[] PARTITION = ascii(",\"partition\":");
    private static final byte[] TAIL = ascii("],\"value_schema_id\":null}");

    private V2ProduceAnswer() {
    }

    /** The answer as UTF-8 (all ASCII). */
    static byte[] write(List<ProduceResult> results) {
        int size = HEAD.length + TAIL.length + Math.max(0, results.size() - 1);
        for (ProduceResult r : results) {
            size += OFFSET.length + digits(r.offset()) + PARTITION.length + digits(r.partition()) + 1;
        }
        byte[] out = new byte[size];
        int at = put(out, 0, HEAD);
        for (int i = 0; i < results.size(); i++) {
            ProduceResult r = results.get(i);
            if (i > 0) {
                out[at++] = ',';
            }
            at = put(out, at, OFFSET);
            at = number(out, at, r.offset());
            at = put(out, at, PARTITION);
            at = number(out, at, r.partition());
            out[at++] = '}';
        }
        put(out, at, TAIL);
        return out;
    }

    private static int put(byte[] out, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return at + bytes.length;
    }

    /** Characters of {@code n} in decimal, sign included. */
    static int digits(long n) {
        if (n == Long.MIN_VALUE) {
            return 20;
        }
        int sign = n < 0 ? 1 : 0;
        long v = Math.abs(n);
        int d = 1;
        while (v >= 10) {
            v /= 10;
            d++;
        }
        return sign + d;
    }

    /** Writes {@code n} in decimal at {@code at}; returns the index after it. */
    static int number(byte[] out, int at, long n) {
        if (n == Long.MIN_VALUE) {
            return put(out, at, ascii(Long.toString(n)));
        }
        int end = at + digits(n);
        int i = end;
        long v = Math.abs(n);
        do {
            out[--i] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        if (n < 0) {
            out[at] = '-';
        }
        return end;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
