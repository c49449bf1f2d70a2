package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.records.ProducedRecord;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Parses one v3 produce record:
 * {@code {"partition_id": 0, "key": {"type": "STRING", "data": "k"}, "value": {"type": "JSON", "data": {...}},
 * "headers": [{"name": "h", "value": "<base64>"}], "timestamp": "2024-01-01T00:00:00Z"}}.
 * Every field is optional; a missing value is a null value (a tombstone). Shared by REST v3 and the
 * WebSocket API's produce frames.
 */
public final class V3RecordParser {

    /** A parsed record with what the answer reports about its key and value. */
    public record Parsed(ProduceRequest request, V3Dtos.Size key, V3Dtos.Size value) {
    }

    private V3RecordParser() {
    }

    public static Parsed parse(JsonObject o) {
        int partition = JsonBodies.int32(o, "partition_id").orElse(-1);
        if (o.containsKey("partition_id") && partition < 0) {
            throw RestException.unprocessable("Field 'partition_id' must not be negative");
        }
        EmbeddedFormat keyType = type(o, "key");
        EmbeddedFormat valueType = type(o, "value");
        ByteBuffer key = keyType == null ? null : keyType.toBytes(data(o, "key"), "key");
        ByteBuffer value = valueType == null ? null : valueType.toBytes(data(o, "value"), "value");
        long timestamp = timestamp(o.get("timestamp"));
        Header[] headers = headers(o.get("headers"));
        ProducedRecord record = new ProducedRecord(key, value, timestamp, headers);
        return new Parsed(new ProduceRequest(record, partition),
                keyType == null ? null : new V3Dtos.Size(keyType.name(), key == null ? 0 : key.remaining()),
                valueType == null ? null : new V3Dtos.Size(valueType.name(), value == null ? 0 : value.remaining()));
    }

    private static EmbeddedFormat type(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (!(v instanceof JsonObject data)) {
            throw RestException.unprocessable("Field '" + field + "' must be an object like {\"type\": \"JSON\", \"data\": ...}");
        }
        return JsonBodies.string(data, "type").map(t -> EmbeddedFormat.parse(t, field + " type")).orElse(EmbeddedFormat.JSON);
    }

    private static JsonValue data(JsonObject o, String field) {
        return o.getJsonObject(field).get("data");
    }

    private static long timestamp(JsonValue v) {
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return -1;
        }
        if (v instanceof JsonNumber n && n.isIntegral() && n.longValue() >= 0) {
            return n.longValue();
        }
        if (v instanceof JsonString s) {
            try {
                long ms = Instant.parse(s.getString()).toEpochMilli();
                if (ms < 0) {
                    throw RestException.unprocessable("Field 'timestamp' must not be before 1970");
                }
                return ms;
            } catch (DateTimeParseException e) {
                throw RestException.unprocessable("Field 'timestamp' is not an ISO-8601 instant: " + s.getString());
            }
        }
        throw RestException.unprocessable("Field 'timestamp' must be an ISO-8601 instant or epoch milliseconds");
    }

    static Header[] headers(JsonValue v) {
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return ProducedRecord.NO_HEADERS;
        }
        if (!(v instanceof JsonArray array)) {
            throw RestException.unprocessable("Field 'headers' must be an array of {\"name\": ..., \"value\": <base64>}");
        }
        Header[] headers = new Header[array.size()];
        for (int n = 0; n < array.size(); n++) {
            final int i = n;
            if (!(array.get(i) instanceof JsonObject h)) {
                throw RestException.unprocessable("headers[" + i + "] must be an object");
            }
            String name = JsonBodies.string(h, "name")
                    .orElseThrow(() -> RestException.unprocessable("headers[" + i + "] has no name"));
            byte[] value = JsonBodies.string(h, "value").map(s -> {
                try {
                    return Base64.getDecoder().decode(s);
                } catch (IllegalArgumentException e) {
                    throw RestException.unprocessable("headers[" + i + "].value is not valid base64");
                }
            }).orElse(null);
            headers[i] = new RecordHeader(name, value);
        }
        return headers;
    }
}
