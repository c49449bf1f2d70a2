package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.api.rest.RestException;
import io.tributary.api.rest.V3RecordParser;
import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.subscription.Framing;
import io.tributary.broker.subscription.GroupSubscription;
import io.tributary.group.ManagedMember;
import io.tributary.broker.subscription.StartPosition;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import org.apache.kafka.common.TopicPartition;

import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Parses client frames, telling malformed frames (not JSON, wrong fields: close 1007) apart from
 * unsupported ones (an unknown {@code type}: 1003), with a message that says what was wrong.
 * A produce frame's records use the REST v3 record format and parser; a bad record there is a
 * produce error ({@link WsError#INVALID_RECORD}), not a malformed frame.
 *
 * <p>Stateless and thread-safe.
 */
final class FrameParser {

    // Json.createReader looks the JSON provider up on every call, once per client frame; the
    // factory is immutable and thread-safe, as in JsonBodies.
    private static final JsonReaderFactory READERS = Json.createReaderFactory(null);

    private FrameParser() {
    }

    static ClientFrame parse(String text) {
        JsonObject o = object(text);
        String type = string(o, "type").orElseThrow(() -> WsException.malformed("Every frame needs a string field 'type'"));
        return switch (type) {
            case "subscribe" -> o.containsKey("group") ? groupSubscribe(o) : subscribe(o);
            case "credit" -> credit(o);
            case "produce" -> produce(o);
            case "commit" -> commit(o);
            case "leave" -> new ClientFrame.Leave(string(o, "id").orElse(null));
            default -> throw new WsException(WsError.UNSUPPORTED_FRAME, "Unknown frame type '" + type
                    + "': the server accepts subscribe, credit, commit, leave and produce");
        };
    }

    private static JsonObject object(String text) {
        try (JsonReader reader = READERS.createReader(new StringReader(text))) {
            JsonValue v = reader.readValue();
            if (!(v instanceof JsonObject o)) {
                throw WsException.malformed("A frame must be a JSON object, got " + v.getValueType());
            }
            return o;
        } catch (JsonException e) {
            throw WsException.malformed("Malformed JSON: " + e.getMessage());
        }
    }

    /** Fields only a subscribe frame with a group may have. */
    private static final List<String> GROUP_FIELDS = List.of("assignor", "auto_commit", "auto.offset.reset",
            "auto_offset_reset", "session_timeout_ms", "auto_commit_interval_ms", "topic_pattern", "client_id");

    static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
    static final long DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;

    private static ClientFrame.Subscribe subscribe(JsonObject o) {
        for (String f : GROUP_FIELDS) {
            if (o.containsKey(f)) {
                throw WsException.malformed("'" + f + "' belongs to a group subscription: add a 'group'");
            }
        }
        String id = string(o, "id").orElse(null);
        JsonArray topics = array(o, "topics").orElseThrow(() -> WsException.malformed(
                "A subscribe frame needs 'topics': an array of topic names or {\"topic\": ...} objects"));
        if (topics.isEmpty()) {
            throw WsException.malformed("'topics' is empty: nothing to subscribe to");
        }
        List<ClientFrame.TopicRequest> requests = new ArrayList<>();
        for (int i = 0; i < topics.size(); i++) {
            requests.add(topic(topics.get(i), "topics[" + i + "]"));
        }
        EmbeddedFormat format;
        try {
            format = string(o, "format").map(f -> EmbeddedFormat.parse(f, "format")).orElse(EmbeddedFormat.JSON);
        } catch (RestException e) {
            throw WsException.malformed(e.getMessage());
        }
        boolean batch = bool(o, "batch").orElse(false);
        return new ClientFrame.Subscribe(id, requests, format, batch ? Framing.BATCH : Framing.RECORD);
    }

    private static ClientFrame.GroupSubscribe groupSubscribe(JsonObject o) {
        String id = string(o, "id").orElse(null);
        String group = string(o, "group").orElseThrow(() -> WsException.malformed("'group' must be a string"));
        if (group.isEmpty()) {
            throw WsException.malformed("'group' is empty: name the consumer group");
        }
        Optional<JsonArray> topicsField = array(o, "topics");
        Optional<String> patternField = string(o, "topic_pattern");
        if (topicsField.isPresent() == patternField.isPresent()) {
            throw WsException.malformed("A group subscription needs either 'topics' (an array of topic names) or"
                    + " 'topic_pattern' (a regular expression), not both");
        }
        List<String> topics = new ArrayList<>();
        topicsField.ifPresent(a -> {
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof JsonString s)) {
                    throw WsException.malformed("topics[" + i + "] must be a topic name: in a group subscription the"
                            + " group assigns partitions and committed offsets say where each starts");
                }
                topics.add(s.getString());
            }
            if (topics.isEmpty()) {
                throw WsException.malformed("'topics' is empty: nothing to subscribe to");
            }
        });
        Pattern pattern = patternField.map(p -> {
            try {
                return Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                throw WsException.malformed("'topic_pattern' is not a valid regular expression: " + e.getDescription());
            }
        }).orElse(null);
        ManagedMember.Assignor assignor = string(o, "assignor").map(a -> ManagedMember.Assignor.named(a)
                .orElseThrow(() -> WsException.malformed("Unknown assignor '" + a + "': use \"range\" or \"roundrobin\"")))
                .orElse(ManagedMember.Assignor.RANGE);
        boolean autoCommit = bool(o, "auto_commit").orElse(true);
        if (o.containsKey("auto.offset.reset") && o.containsKey("auto_offset_reset")) {
            throw WsException.malformed("Give 'auto.offset.reset' or 'auto_offset_reset', not both");
        }
        String resetField = o.containsKey("auto_offset_reset") ? "auto_offset_reset" : "auto.offset.reset";
        GroupSubscription.OffsetReset reset = string(o, resetField).map(r -> switch (r.toLowerCase(Locale.ROOT)) {
            case "earliest" -> GroupSubscription.OffsetReset.EARLIEST;
            case "latest" -> GroupSubscription.OffsetReset.LATEST;
            case "none" -> GroupSubscription.OffsetReset.NONE;
            default -> throw WsException.malformed("'" + resetField + "' must be \"earliest\", \"latest\" or \"none\", got \""
                    + r + "\"");
        }).orElse(GroupSubscription.OffsetReset.LATEST);
        long session = positive(o, "session_timeout_ms", DEFAULT_SESSION_TIMEOUT_MS, Integer.MAX_VALUE);
        long interval = positive(o, "auto_commit_interval_ms", DEFAULT_AUTO_COMMIT_INTERVAL_MS, Long.MAX_VALUE / 2);
        String clientId = string(o, "client_id").orElse(null);
        EmbeddedFormat format;
        try {
            format = string(o, "format").map(f -> EmbeddedFormat.parse(f, "format")).orElse(EmbeddedFormat.JSON);
        } catch (RestException e) {
            throw WsException.malformed(e.getMessage());
        }
        boolean batch = bool(o, "batch").orElse(false);
        return new ClientFrame.GroupSubscribe(id, group, topics, pattern, assignor, autoCommit, reset, (int) session,
                interval, clientId, format, batch ? Framing.BATCH : Framing.RECORD);
    }

    private static ClientFrame.Commit commit(JsonObject o) {
        String id = string(o, "id").orElse(null);
        Optional<JsonArray> offsets = array(o, "offsets");
        if (offsets.isEmpty()) {
            return new ClientFrame.Commit(id, Optional.empty());
        }
        JsonArray a = offsets.get();
        if (a.isEmpty()) {
            throw WsException.malformed("'offsets' is empty: leave it out to commit everything delivered");
        }
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < a.size(); i++) {
            String where = "offsets[" + i + "]";
            if (!(a.get(i) instanceof JsonObject c)) {
                throw WsException.malformed(where + " must be {\"topic\", \"partition\", \"offset\"}");
            }
            String topic = string(c, "topic").orElseThrow(() -> WsException.malformed(where + " needs a string 'topic'"));
            long partition = wholeNumber(c, "partition", where, Integer.MAX_VALUE);
            long offset = wholeNumber(c, "offset", where, Long.MAX_VALUE);
            if (out.put(new TopicPartition(topic, (int) partition), offset) != null) {
                throw WsException.malformed(where + " names " + topic + "-" + partition + " a second time");
            }
        }
        return new ClientFrame.Commit(id, Optional.of(out));
    }

    private static long wholeNumber(JsonObject o, String field, String where, long max) {
        if (!(o.get(field) instanceof JsonNumber n) || !n.isIntegral() || n.bigIntegerValue().signum() < 0
                || n.bigIntegerValue().compareTo(BigInteger.valueOf(max)) > 0) {
            throw WsException.malformed(where + "." + field + " must be a whole number from 0 to " + max);
        }
        return n.longValue();
    }

    private static long positive(JsonObject o, String field, long defaultValue, long max) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return defaultValue;
        }
        if (!(v instanceof JsonNumber n) || !n.isIntegral() || n.bigIntegerValue().signum() <= 0
                || n.bigIntegerValue().compareTo(BigInteger.valueOf(max)) > 0) {
            throw WsException.malformed("'" + field + "' must be a whole number from 1 to " + max);
        }
        return n.longValue();
    }

    private static ClientFrame.TopicRequest topic(JsonValue v, String where) {
        if (v instanceof JsonString s) {
            return new ClientFrame.TopicRequest(s.getString(), Optional.empty(), new StartPosition.Latest(), Map.of());
        }
        if (!(v instanceof JsonObject t)) {
            throw WsException.malformed(where + " must be a topic name or an object");
        }
        String topic = string(t, "topic").orElseThrow(() -> WsException.malformed(where + " needs a string 'topic'"));
        Optional<List<Integer>> partitions = array(t, "partitions").map(a -> {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0
                        || n.longValue() > Integer.MAX_VALUE) {
                    throw WsException.malformed(where + ".partitions[" + i + "] must be a partition number");
                }
                out.add(n.intValue());
            }
            if (out.isEmpty()) {
                throw WsException.malformed(where + ".partitions is empty; leave it out to subscribe to every partition");
            }
            return out;
        });
        JsonValue from = t.get("from");
        StartPosition position = new StartPosition.Latest();
        Map<Integer, Long> offsets = new LinkedHashMap<>();
        if (from instanceof JsonString s) {
            position = switch (s.getString().toLowerCase(Locale.ROOT)) {
                case "earliest" -> new StartPosition.Earliest();
                case "latest" -> new StartPosition.Latest();
                default -> throw WsException.malformed(where + ".from must be \"earliest\", \"latest\", "
                        + "{\"offsets\": {...}} or {\"timestamp\": ms}, got \"" + s.getString() + "\"");
            };
        } else if (from instanceof JsonObject f && f.containsKey("timestamp")) {
            if (!(f.get("timestamp") instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0) {
                throw WsException.malformed(where + ".from.timestamp must be epoch milliseconds");
            }
            position = new StartPosition.AtTimestamp(n.longValue());
        } else if (from instanceof JsonObject f && f.get("offsets") instanceof JsonObject byPartition) {
            for (Map.Entry<String, JsonValue> e : byPartition.entrySet()) {
                int partition;
                try {
                    partition = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw WsException.malformed(where + ".from.offsets has key '" + e.getKey() + "'; keys are partition numbers");
                }
                if (partition < 0 || !(e.getValue() instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0) {
                    throw WsException.malformed(where + ".from.offsets." + e.getKey() + " must be an offset (a whole number >= 0)");
                }
                offsets.put(partition, n.longValue());
            }
            if (offsets.isEmpty()) {
                throw WsException.malformed(where + ".from.offsets is empty");
            }
            if (partitions.isPresent() && !offsets.keySet().containsAll(partitions.get())) {
                throw WsException.malformed(where + ".from.offsets must give an offset for every partition in 'partitions'");
            }
            if (partitions.isEmpty()) {
                partitions = Optional.of(List.copyOf(offsets.keySet()));
            }
        } else if (from != null && from.getValueType() != JsonValue.ValueType.NULL) {
            throw WsException.malformed(where + ".from must be \"earliest\", \"latest\", {\"offsets\": {...}} or {\"timestamp\": ms}");
        }
        return new ClientFrame.TopicRequest(topic, partitions, position, offsets);
    }

    private static ClientFrame.Credit credit(JsonObject o) {
        long records = nonNegative(o, "records");
        long bytes = nonNegative(o, "bytes");
        if (records == 0 && bytes == 0) {
            throw WsException.malformed("A credit frame needs 'records' or 'bytes' greater than 0");
        }
        return new ClientFrame.Credit(records, bytes);
    }

    private static ClientFrame.Produce produce(JsonObject o) {
        String id = string(o, "id").orElse(null);
        String topic = string(o, "topic").orElseThrow(() -> WsException.malformed("A produce frame needs a string 'topic'"));
        JsonArray records = array(o, "records").orElseThrow(() -> WsException.malformed("A produce frame needs 'records': an array"));
        if (records.isEmpty()) {
            throw WsException.malformed("'records' is empty: nothing to produce");
        }
        List<ProduceRequest> requests = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            if (!(records.get(i) instanceof JsonObject r)) {
                throw WsException.malformed("records[" + i + "] must be an object");
            }
            try {
                requests.add(V3RecordParser.parse(r).request());
            } catch (RestException e) {
                throw new WsException(WsError.INVALID_RECORD, id, "records[" + i + "]: " + e.getMessage(), Map.of());
            }
        }
        return new ClientFrame.Produce(id, topic, requests);
    }

    private static Optional<String> string(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (v instanceof JsonString s) {
            return Optional.of(s.getString());
        }
        throw WsException.malformed("Field '" + field + "' must be a string");
    }

    private static Optional<JsonArray> array(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (v instanceof JsonArray a) {
            return Optional.of(a);
        }
        throw WsException.malformed("Field '" + field + "' must be an array");
    }

    private static Optional<Boolean> bool(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (v == JsonValue.TRUE || v == JsonValue.FALSE || v.getValueType() == JsonValue.ValueType.TRUE
                || v.getValueType() == JsonValue.ValueType.FALSE) {
            return Optional.of(v.getValueType() == JsonValue.ValueType.TRUE);
        }
        throw WsException.malformed("Field '" + field + "' must be true or false");
    }

    private static long nonNegative(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return 0;
        }
        if (v instanceof JsonNumber n && n.isIntegral()) {
            try {
                long value = n.longValueExact();
                if (value >= 0) {
                    return value;
                }
            } catch (ArithmeticException e) {
                // Falls through to the error below: beyond any credit a session may hold.
                throw new WsException(WsError.CREDIT_OVERFLOW, "Field '" + field + "' is beyond any credit a session may hold");
            }
        }
        throw WsException.malformed("Field '" + field + "' must be a whole number >= 0");
    }
}
