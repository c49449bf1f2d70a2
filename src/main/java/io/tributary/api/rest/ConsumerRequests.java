package io.tributary.api.rest;

import io.tributary.broker.consumer.ConsumerException;
import io.tributary.broker.consumer.ConsumerInstance;
import io.tributary.group.ManagedMember;
import io.tributary.metadata.Topics;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the request bodies of the v2 consumer API: malformed JSON is 400; well-formed JSON with a
 * missing, ill-typed or bad field is 422 (42204 for instance settings), each saying which field.
 */
final class ConsumerRequests {

    private static final Pattern INSTANCE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final Set<String> CREATE_FIELDS = Set.of("name", "id", "format", "auto.offset.reset",
            "auto.commit.enable", "fetch.min.bytes", "consumer.request.timeout.ms");

    private ConsumerRequests() {
    }

    /** The settings of a new instance; {@code defaultTimeoutMs} when the body names none. */
    static ConsumerInstance.Config create(byte[] body, long defaultTimeoutMs) {
        JsonObject o = body == null || body.length == 0 ? JsonValue.EMPTY_JSON_OBJECT : JsonBodies.object(body);
        for (String field : o.keySet()) {
            if (!CREATE_FIELDS.contains(field)) {
                throw invalid("unknown field '" + field + "'; the fields are " + new java.util.TreeSet<>(CREATE_FIELDS));
            }
        }
        String name = text(o, "name");
        if (name == null) {
            name = text(o, "id");
        }
        if (name == null) {
            name = "rest-consumer-" + UUID.randomUUID();
        } else if (!INSTANCE_NAME.matcher(name).matches()) {
            throw invalid("name '" + name + "' must be 1 to 249 letters, digits, '.', '_' or '-'");
        }
        String formatName = text(o, "format");
        ConsumerInstance.Format format = ConsumerInstance.Format.BINARY;
        if (formatName != null) {
            format = switch (formatName.toLowerCase(Locale.ROOT)) {
                case "json" -> ConsumerInstance.Format.JSON;
                case "binary" -> ConsumerInstance.Format.BINARY;
                default -> throw invalid("format '" + formatName + "' is not supported: use json or binary");
            };
        }
        String reset = text(o, "auto.offset.reset");
        ConsumerInstance.OffsetReset offsetReset = ConsumerInstance.OffsetReset.LATEST;
        if (reset != null) {
            offsetReset = switch (reset.toLowerCase(Locale.ROOT)) {
                case "earliest", "smallest" -> ConsumerInstance.OffsetReset.EARLIEST;
                case "latest", "largest" -> ConsumerInstance.OffsetReset.LATEST;
                case "none" -> ConsumerInstance.OffsetReset.NONE;
                default -> throw invalid("auto.offset.reset '" + reset + "' must be earliest, latest or none");
            };
        }
        String commit = text(o, "auto.commit.enable");
        boolean autoCommit = true;
        if (commit != null) {
            autoCommit = switch (commit.toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw invalid("auto.commit.enable '" + commit + "' must be true or false");
            };
        }
        long fetchMinBytes = number(o, "fetch.min.bytes", -1, -1, Integer.MAX_VALUE);
        long timeoutMs = number(o, "consumer.request.timeout.ms", defaultTimeoutMs, 0, 3_600_000L);
        return new ConsumerInstance.Config(name, format, offsetReset, autoCommit, (int) fetchMinBytes, timeoutMs);
    }

    /** {@code {"topics": [...]}} or {@code {"topic_pattern": "..."}}. */
    static ManagedMember.Subscribed subscription(byte[] body) {
        JsonObject o = JsonBodies.object(body);
        JsonValue topics = o.get("topics");
        JsonValue pattern = o.get("topic_pattern");
        boolean hasTopics = topics != null && topics.getValueType() != JsonValue.ValueType.NULL;
        boolean hasPattern = pattern != null && pattern.getValueType() != JsonValue.ValueType.NULL;
        if (hasTopics && hasPattern) {
            throw RestException.unprocessable("Give either 'topics' or 'topic_pattern', not both");
        }
        if (hasPattern) {
            if (!(pattern instanceof JsonString s) || s.getString().isEmpty()) {
                throw RestException.unprocessable("Field 'topic_pattern' must be a non-empty string (a Java regular expression)");
            }
            try {
                return ManagedMember.Subscribed.pattern(Pattern.compile(s.getString()));
            } catch (PatternSyntaxException e) {
                throw RestException.unprocessable("Field 'topic_pattern' is not a valid regular expression: "
                        + e.getDescription());
            }
        }
        if (!(topics instanceof JsonArray list) || list.isEmpty()) {
            throw RestException.unprocessable("A list of topics ('topics') or a 'topic_pattern' must be specified");
        }
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof JsonString s)) {
                throw RestException.unprocessable("topics[" + i + "] must be a string");
            }
            Topics.validateName(s.getString());
            names.add(s.getString());
        }
        return ManagedMember.Subscribed.topics(names);
    }

    /** {@code {"partitions": [{"topic", "partition"}]}}; an empty or absent body or list is empty. */
    static List<TopicPartition> partitions(byte[] body) {
        if (body == null || body.length == 0) {
            return List.of();
        }
        JsonObject o = JsonBodies.object(body);
        JsonValue v = o.get("partitions");
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return List.of();
        }
        if (!(v instanceof JsonArray list)) {
            throw RestException.unprocessable("Field 'partitions' must be an array of {\"topic\", \"partition\"}");
        }
        Set<TopicPartition> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(topicPartition(list.get(i), "partitions[" + i + "]"));
        }
        return new ArrayList<>(out);
    }

    /**
     * {@code {"offsets": [{"topic", "partition", "offset"}]}}; an empty or absent body or list gives
     * null when {@code emptyIsNull}, else an empty map.
     */
    static Map<TopicPartition, Long> offsets(byte[] body, boolean emptyIsNull) {
        JsonArray list = null;
        if (body != null && body.length > 0) {
            JsonObject o = JsonBodies.object(body);
            JsonValue v = o.get("offsets");
            if (v != null && v.getValueType() != JsonValue.ValueType.NULL) {
                if (!(v instanceof JsonArray a)) {
                    throw RestException.unprocessable("Field 'offsets' must be an array of {\"topic\", \"partition\", \"offset\"}");
                }
                list = a;
            }
        }
        if (list == null || list.isEmpty()) {
            return emptyIsNull ? null : Map.of();
        }
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "offsets[" + i + "]";
            TopicPartition tp = topicPartition(list.get(i), where);
            JsonObject entry = (JsonObject) list.get(i);
            if (!(entry.get("offset") instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0) {
                throw RestException.unprocessable(where + ".offset must be a whole number, 0 or more");
            }
            out.put(tp, n.longValue());
        }
        return out;
    }

    private static TopicPartition topicPartition(JsonValue v, String where) {
        if (!(v instanceof JsonObject o)) {
            throw RestException.unprocessable(where + " must be an object with 'topic' and 'partition'");
        }
        if (!(o.get("topic") instanceof JsonString topic) || topic.getString().isEmpty()) {
            throw RestException.unprocessable(where + ".topic must be a topic name");
        }
        if (!(o.get("partition") instanceof JsonNumber p) || !p.isIntegral() || p.longValue() < 0
                || p.longValue() > Integer.MAX_VALUE) {
            throw RestException.unprocessable(where + ".partition must be a partition number, 0 or more");
        }
        return new TopicPartition(topic.getString(), p.intValue());
    }

    /** A string setting; Confluent's clients send every setting as a string, some send booleans as JSON. */
    private static String text(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        return switch (v.getValueType()) {
            case STRING -> ((JsonString) v).getString();
            case TRUE -> "true";
            case FALSE -> "false";
            case NUMBER -> v.toString();
            default -> throw invalid("'" + field + "' must be a string");
        };
    }

    private static long number(JsonObject o, String field, long defaultValue, long min, long max) {
        String raw = text(o, field);
        if (raw == null) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw invalid("'" + field + "' must be a whole number, got '" + raw + "'");
        }
        if (value < min || value > max) {
            throw invalid("'" + field + "' must be from " + min + " to " + max + ", got " + value);
        }
        return value;
    }

    private static ConsumerException invalid(String why) {
        return new ConsumerException(ConsumerException.Reason.INVALID_CONFIG, "Invalid consumer configuration: " + why);
    }
}
