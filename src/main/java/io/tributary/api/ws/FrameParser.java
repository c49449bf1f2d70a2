package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.api.rest.RestException;
import io.tributary.api.rest.V3RecordParser;
import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.subscription.Framing;
import io.tributary.broker.subscription.StartPosition;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Parses client frames, telling malformed frames (not JSON, wrong fields: close 1007) apart from
 * unsupported ones (an unknown {@code type}: 1003), with a message that says what was wrong.
 * A produce frame's records use the REST v3 record format and parser; a bad record there is a
 * produce error ({@link WsError#INVALID_RECORD}), not a malformed frame.
 *
 * <p>Stateless and thread-safe.
 */
final class FrameParser {

    private FrameParser() {
    }

    static ClientFrame parse(String text) {
        JsonObject o = object(text);
        String type = string(o, "type").orElseThrow(() -> WsException.malformed("Every frame needs a string field 'type'"));
        return switch (type) {
            case "subscribe" -> subscribe(o);
            case "credit" -> credit(o);
            case "produce" -> produce(o);
            default -> throw new WsException(WsError.UNSUPPORTED_FRAME, "Unknown frame type '" + type
                    + "': the server accepts subscribe, credit and produce");
        };
    }

    private static JsonObject object(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            JsonValue v = reader.readValue();
            if (!(v instanceof JsonObject o)) {
                throw WsException.malformed("A frame must be a JSON object, got " + v.getValueType());
            }
            return o;
        } catch (JsonException e) {
            throw WsException.malformed("Malformed JSON: " + e.getMessage());
        }
    }

    private static ClientFrame.Subscribe subscribe(JsonObject o) {
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
