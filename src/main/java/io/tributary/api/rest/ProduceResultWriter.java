package io.tributary.api.rest;

import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;

import java.io.CharArrayWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes the answer lines of a streaming v3 produce: one {@link V3Dtos.ProduceResult} per line,
 * byte for byte as the API's JSON-B codec writes it (snake_case, fields in lexicographic order,
 * nulls included), but with a JSON-P generator, which costs a fraction of JSON-B's per-object
 * reflection. Lines collect in memory until {@link #flushTo}, so answers of records stored together
 * leave in one write and one flush.
 *
 * <p>Not thread-safe: one writer per request.
 */
final class ProduceResultWriter {

    private static final JsonGeneratorFactory GENERATORS = Json.createGeneratorFactory(Map.of());

    // Characters, encoded once a flush: a generator over bytes would set up an encoder with its own
    // 8 KiB buffer for every line.
    private final CharArrayWriter pending = new CharArrayWriter(8192);

    /** Appends one answer line. */
    void add(V3Dtos.ProduceResult r) {
        try (JsonGenerator g = GENERATORS.createGenerator(pending)) {
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
        pending.write('\n');
    }

    /** True if no line waits to be written. */
    boolean isEmpty() {
        return pending.size() == 0;
    }

    /** Writes the lines added so far and flushes {@code out}, so the client sees them now. */
    void flushTo(OutputStream out) throws IOException {
        if (pending.size() > 0) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pending.toCharArray()));
            out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
            pending.reset();
        }
        out.flush();
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
}
