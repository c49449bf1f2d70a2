package io.tributary.api.rest;

import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes the answer lines of a streaming v3 produce: one {@link V3Dtos.ProduceResult} per line,
 * byte for byte as the API's JSON-B codec writes it (snake_case, fields in lexicographic order,
 * nulls included). Lines collect in memory until {@link #flushTo}, so answers of records stored
 * together leave in one write and one flush.
 *
 * <p>A line whose strings are all printable ASCII without a quote or a backslash (every success:
 * a cluster id, a topic name, an instant, a type name) is written straight as bytes, as it needs no
 * escaping; any other line goes through a JSON-P generator, which escapes. A generator per line
 * (its context stack and buffers) and the encoding of the characters were most of the answer's
 * cost.
 *
 * <p>Not thread-safe: one writer per request.
 */
final class ProduceResultWriter {

    private static final JsonGeneratorFactory GENERATORS = Json.createGeneratorFactory(Map.of());

    private static final byte[] NULL = ascii("null");
    private static final byte[] CLUSTER_ID = ascii("{\"cluster_id\":");
    private static final byte[] ERROR_CODE = ascii(",\"error_code\":");
    private static final byte[] KEY = ascii(",\"key\":");
    private static final byte[] MESSAGE = ascii(",\"message\":");
    private static final byte[] OFFSET = ascii(",\"offset\":");
    private static final byte[] PARTITION_ID = ascii(",\"partition_id\":");
    private static final byte[] TIMESTAMP = ascii(",\"timestamp\":");
    private static final byte[] TOPIC_NAME = ascii(",\"topic_name\":");
    private static final byte[] VALUE = ascii(",\"value\":");
    private static final byte[] SIZE = ascii("{\"size\":");
    private static final byte[] TYPE = ascii(",\"type\":");

    private byte[] pending = new byte[8192];
    private int length;

    /** Appends one answer line. */
    void add(V3Dtos.ProduceResult r) {
        if (plain(r.clusterId()) && plain(r.message()) && plain(r.timestamp()) && plain(r.topicName())
                && plain(r.key()) && plain(r.value())) {
            direct(r);
        } else {
            generated(r);
        }
        put((byte) '\n');
    }

    /** True if no line waits to be written. */
    boolean isEmpty() {
        return length == 0;
    }

    /** Writes the lines added so far and flushes {@code out}, so the client sees them now. */
    void flushTo(OutputStream out) throws IOException {
        if (length > 0) {
            out.write(pending, 0, length);
            length = 0;
        }
        out.flush();
    }

    private void direct(V3Dtos.ProduceResult r) {
        put(CLUSTER_ID);
        string(r.clusterId());
        put(ERROR_CODE);
        number(r.errorCode());
        put(KEY);
        size(r.key());
        put(MESSAGE);
        string(r.message());
        put(OFFSET);
        number(r.offset());
        put(PARTITION_ID);
        number(r.partitionId() == null ? null : (long) r.partitionId());
        put(TIMESTAMP);
        string(r.timestamp());
        put(TOPIC_NAME);
        string(r.topicName());
        put(VALUE);
        size(r.value());
        put((byte) '}');
    }

    private void generated(V3Dtos.ProduceResult r) {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = GENERATORS.createGenerator(text)) {
            g.writeStartObject();
            string(g, "cluster_id", r.clusterId());
            g.write("error_code", r.errorCode());
            size(g, "key", r.key());
            string(g, "message", r.message());
            if (r.offset() == null) {
                g.writeNull("offset");
            } else {
                g.write("offset", r.offset());
            }
            if (r.partitionId() == null) {
                g.writeNull("partition_id");
            } else {
                g.write("partition_id", r.partitionId());
            }
            string(g, "timestamp", r.timestamp());
            string(g, "topic_name", r.topicName());
            size(g, "value", r.value());
            g.writeEnd();
        }
        put(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Null, or printable ASCII with nothing JSON escapes. */
    private static boolean plain(String s) {
        if (s == null) {
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static boolean plain(V3Dtos.Size size) {
        return size == null || plain(size.type());
    }

    private void string(String s) {
        if (s == null) {
            put(NULL);
            return;
        }
        ensure(s.length() + 2);
        pending[length++] = '"';
        for (int i = 0; i < s.length(); i++) {
            pending[length++] = (byte) s.charAt(i);
        }
        pending[length++] = '"';
    }

    private void size(V3Dtos.Size size) {
        if (size == null) {
            put(NULL);
            return;
        }
        put(SIZE);
        number((long) size.size());
        put(TYPE);
        string(size.type());
        put((byte) '}');
    }

    private void number(Long n) {
        if (n == null) {
            put(NULL);
        } else {
            number(n.longValue());
        }
    }

    private void number(long n) {
        ensure(20);
        length = V2ProduceAnswer.number(pending, length, n);
    }

    private void put(byte b) {
        ensure(1);
        pending[length++] = b;
    }

    private void put(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, pending, length, bytes.length);
        length += bytes.length;
    }

    private void ensure(int more) {
        if (length + more > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, length + more));
        }
    }

    private static void string(JsonGenerator g, String name, String value) {
        if (value == null) {
            g.writeNull(name);
        } else {
            g.write(name, value);
        }
    }

    private static void size(JsonGenerator g, String name, V3Dtos.Size size) {
        if (size == null) {
            g.writeNull(name);
        } else {
            g.writeStartObject(name).write("size", size.size());
            string(g, "type", size.type());
            g.writeEnd();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
