package io.tributary.api.ws;

import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.broker.subscription.SubscriptionSession.Assigned;
import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;
import org.apache.kafka.common.TopicPartition;

import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes the server's answer frames ({@code subscribed}, {@code assigned}, {@code revoked},
 * {@code committed}, {@code left}, {@code produced}, {@code error}) with a
 * JSON-P generator; records are written by {@link JsonRecordEncoder}. Every frame has a
 * {@code type}.
 *
 * <p>Stateless and thread-safe (JSON-P generator factories are).
 */
final class FrameWriter {

    static final JsonGeneratorFactory GENERATORS = Json.createGeneratorFactory(Map.of());

    private FrameWriter() {
    }

    static String write(Consumer<JsonGenerator> body) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = GENERATORS.createGenerator(out)) {
            g.writeStartObject();
            body.accept(g);
            g.writeEnd();
        }
        return out.toString();
    }

    private static void id(JsonGenerator g, String id) {
        if (id == null) {
            g.writeNull("id");
        } else {
            g.write("id", id);
        }
    }

    /** {@code "partitions":[{"topic":"orders","partition":0,"offset":42}, ...]} */
    private static void partitionsWithOffsets(JsonGenerator g, List<Assigned> assigned) {
        g.writeStartArray("partitions");
        for (Assigned a : assigned) {
            g.writeStartObject()
                    .write("topic", a.topicPartition().topic())
                    .write("partition", a.topicPartition().partition())
                    .write("offset", a.offset())
                    .writeEnd();
        }
        g.writeEnd();
    }

    /** {@code {"type":"subscribed","id":"s1","partitions":[{"topic":"orders","partition":0,"offset":42}]}} */
    static String subscribed(String id, List<Assigned> assigned) {
        return write(g -> {
            g.write("type", "subscribed");
            id(g, id);
            partitionsWithOffsets(g, assigned);
        });
    }

    /** {@code {"type":"subscribed","id":"s1","group":"g","partitions":[]}}: a group subscription was accepted. */
    static String subscribedToGroup(String id, String group) {
        return write(g -> {
            g.write("type", "subscribed");
            id(g, id);
            g.write("group", group);
            g.writeStartArray("partitions").writeEnd();
        });
    }

    /** {@code {"type":"assigned","group":"g","generation":3,"member_id":"...","partitions":[{"topic","partition","offset"}]}} */
    static String assigned(String group, int generation, String memberId, List<Assigned> assigned) {
        return write(g -> {
            g.write("type", "assigned");
            g.write("group", group);
            g.write("generation", generation);
            g.write("member_id", memberId);
            partitionsWithOffsets(g, assigned);
        });
    }

    /** {@code {"type":"revoked","group":"g","generation":3,"partitions":[{"topic","partition"}]}} */
    static String revoked(String group, int generation, List<TopicPartition> partitions) {
        return write(g -> {
            g.write("type", "revoked");
            g.write("group", group);
            g.write("generation", generation);
            g.writeStartArray("partitions");
            for (TopicPartition tp : partitions) {
                g.writeStartObject().write("topic", tp.topic()).write("partition", tp.partition()).writeEnd();
            }
            g.writeEnd();
        });
    }

    /** {@code {"type":"committed","id":"c1","group":"g","offsets":[{"topic","partition","offset"}]}} */
    static String committed(String id, String group, Map<TopicPartition, Long> offsets) {
        return write(g -> {
            g.write("type", "committed");
            id(g, id);
            g.write("group", group);
            g.writeStartArray("offsets");
            offsets.forEach((tp, o) -> g.writeStartObject().write("topic", tp.topic()).write("partition", tp.partition())
                    .write("offset", o).writeEnd());
            g.writeEnd();
        });
    }

    /** {@code {"type":"left","id":"l1","group":"g"}} */
    static String left(String id, String group) {
        return write(g -> {
            g.write("type", "left");
            id(g, id);
            g.write("group", group);
        });
    }

    /** {@code {"type":"produced","id":"p1","topic":"orders","offsets":[{"partition":0,"offset":42,"timestamp":...}]}} */
    static String produced(String id, String topic, List<ProduceResult> results) {
        return write(g -> {
            g.write("type", "produced");
            id(g, id);
            g.write("topic", topic);
            g.writeStartArray("offsets");
            for (ProduceResult r : results) {
                g.writeStartObject()
                        .write("partition", r.partition())
                        .write("offset", r.offset())
                        .write("timestamp", r.timestamp())
                        .writeEnd();
            }
            g.writeEnd();
        });
    }

    /**
     * {@code {"type":"error","id":"s1","code":"unknown_topic","message":"...","close_code":4404}}; no
     * {@code close_code} when the session goes on. Details (the valid range of an offset) are added as fields.
     */
    static String error(WsException e) {
        return write(g -> {
            g.write("type", "error");
            id(g, e.requestId());
            g.write("code", e.error().code());
            g.write("message", e.getMessage() == null ? e.error().code() : e.getMessage());
            if (e.error().fatal()) {
                g.write("close_code", e.error().closeCode());
            }
            for (Map.Entry<String, Object> d : e.details().entrySet()) {
                if (d.getValue() instanceof Number n) {
                    g.write(d.getKey(), n.longValue());
                } else {
                    g.write(d.getKey(), String.valueOf(d.getValue()));
                }
            }
        });
    }
}
