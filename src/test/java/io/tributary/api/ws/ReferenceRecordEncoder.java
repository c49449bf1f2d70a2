package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.records.ConsumedRecord;
import jakarta.json.stream.JsonGenerator;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import java.util.Base64;
import java.util.List;

/**
 * The record encoding as it was written with a JSON-P generator per record, kept as the reference
 * {@link JsonRecordEncoder} must match byte for byte.
 */
final class ReferenceRecordEncoder {

    private final EmbeddedFormat format;

    ReferenceRecordEncoder(EmbeddedFormat format) {
        this.format = format;
    }

    public String record(TopicPartition tp, ConsumedRecord r) {
        EmbeddedFormat.Encoded key = format.encode(r.key());
        EmbeddedFormat.Encoded value = format.encode(r.value());
        return FrameWriter.write(g -> {
            g.write("type", "record");
            g.write("topic", tp.topic());
            g.write("partition", tp.partition());
            g.write("offset", r.offset());
            g.write("timestamp", r.timestamp());
            g.write("timestamp_type", r.timestampType().name);
            g.write("key", key.value());
            nullable(g, "key_format", key.format());
            g.write("value", value.value());
            nullable(g, "value_format", value.format());
            g.writeStartArray("headers");
            for (Header h : r.headers()) {
                g.writeStartObject().write("name", h.key());
                nullable(g, "value", h.value() == null ? null : Base64.getEncoder().encodeToString(h.value()));
                g.writeEnd();
            }
            g.writeEnd();
        });
    }

    /**
     * {@code {"type":"records","topic":"orders","partition":0,"records":[<record frame>, ...]}}. The
     * records are already JSON objects: they are spliced in as they are rather than parsed and written
     * again, which would double the encoding cost of the hot path.
     */
    public String batch(TopicPartition tp, List<String> records) {
        String head = FrameWriter.write(g -> {
            g.write("type", "records");
            g.write("topic", tp.topic());
            g.write("partition", tp.partition());
        });
        int size = head.length() + 16;
        for (String r : records) {
            size += r.length() + 1;
        }
        StringBuilder out = new StringBuilder(size);
        out.append(head, 0, head.length() - 1).append(",\"records\":[");
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(records.get(i));
        }
        return out.append("]}").toString();
    }

    private static void nullable(JsonGenerator g, String name, String value) {
        if (value == null) {
            g.writeNull(name);
        } else {
            g.write(name, value);
        }
    }
}
