package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.records.ProducedRecord;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import org.apache.kafka.common.header.Header;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the records of a v2 batched produce, {@code {"records": [{"key", "value", "partition",
 * "timestamp", "headers"}, ...]}}.
 *
 * <p>A well-formed batch is read with a streaming JSON-P parser: each record's fields are taken as
 * they come, without building an object (a map) for every record and an array of them all. Any
 * body that is not such a batch, or holds a record that is not accepted, is read again as one JSON
 * tree by {@link #tree}, the reference path, which gives the same records and is the only one that
 * answers errors; so what is accepted, what is refused and with which error never depends on the
 * fast paths. Binary batches in their plainest form are read before that by {@link V2BinaryScanner},
 * without JSON-P at all.
 */
final class V2RecordParser {

    // Json.createParser looks the provider up on every call; the factory is thread-safe.
    private static final JsonParserFactory PARSERS = Json.createParserFactory(null);

    private V2RecordParser() {
    }

    /** The records of {@code body}, all or none: the first bad one is refused with a RestException. */
    static List<ProduceRequest> parse(byte[] body, int pathPartition, EmbeddedFormat format) {
        List<ProduceRequest> requests = format == EmbeddedFormat.BINARY ? V2BinaryScanner.scan(body, pathPartition) : null;
        if (requests == null) {
            try {
                requests = stream(body, pathPartition, format);
            } catch (RuntimeException e) {
                requests = null;
            }
        }
        return requests != null ? requests : tree(body, pathPartition, format);
    }

    /** The reference path: the whole body as one JSON tree, then each record in turn. */
    static List<ProduceRequest> tree(byte[] body, int pathPartition, EmbeddedFormat format) {
        JsonObject o = JsonBodies.object(body);
        JsonValue rv = o.get("records");
        if (!(rv instanceof JsonArray records)) {
            throw RestException.unprocessable("Field 'records' must be an array of records");
        }
        if (records.isEmpty()) {
            throw RestException.unprocessable("Field 'records' is empty: nothing to produce");
        }
        List<ProduceRequest> requests = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            if (!(records.get(i) instanceof JsonObject r)) {
                throw RestException.unprocessable("records[" + i + "] must be an object");
            }
            requests.add(request(i, pathPartition, format,
                    r.get("key"), r.get("value"), r.get("partition"), r.get("timestamp"), r.get("headers")));
        }
        return requests;
    }

    /**
     * The records of a body that is one object whose {@code records} is a non-empty array of
     * objects, each accepted, with nothing after the object; null (or an exception) for any other body.
     */
    static List<ProduceRequest> stream(byte[] body, int pathPartition, EmbeddedFormat format) {
        if (body == null || body.length == 0) {
            return null;
        }
        try (JsonParser p = PARSERS.createParser(new ByteArrayInputStream(body))) {
            if (!p.hasNext() || p.next() != JsonParser.Event.START_OBJECT) {
                return null;
            }
            List<ProduceRequest> requests = null;
            while (p.next() == JsonParser.Event.KEY_NAME) {
                String name = p.getString();
                JsonParser.Event e = p.next();
                if (!name.equals("records")) {
                    p.getValue();
                    continue;
                }
                if (e != JsonParser.Event.START_ARRAY) {
                    return null;
                }
                // A repeated field: the last one counts, as in the tree.
                requests = new ArrayList<>();
                while ((e = p.next()) != JsonParser.Event.END_ARRAY) {
                    if (e != JsonParser.Event.START_OBJECT) {
                        return null;
                    }
                    requests.add(record(p, requests.size(), pathPartition, format));
                }
            }
            if (p.hasNext() || requests == null || requests.isEmpty()) {
                return null;
            }
            return requests;
        }
    }

    /** One record, its START_OBJECT just read; leaves the parser at its END_OBJECT. */
    private static ProduceRequest record(JsonParser p, int i, int pathPartition, EmbeddedFormat format) {
        JsonValue key = null;
        JsonValue value = null;
        JsonValue partition = null;
        JsonValue timestamp = null;
        JsonValue headers = null;
        while (p.next() == JsonParser.Event.KEY_NAME) {
            String name = p.getString();
            p.next();
            JsonValue v = p.getValue();
            switch (name) {
                case "key" -> key = v;
                case "value" -> value = v;
                case "partition" -> partition = v;
                case "timestamp" -> timestamp = v;
                case "headers" -> headers = v;
                default -> {
                    // Other fields are ignored.
                }
            }
        }
        return request(i, pathPartition, format, key, value, partition, timestamp, headers);
    }

    /** Record {@code i} from its fields (null where absent). */
    private static ProduceRequest request(int i, int pathPartition, EmbeddedFormat format, JsonValue key,
                                          JsonValue value, JsonValue partitionField, JsonValue timestampField,
                                          JsonValue headersField) {
        int partition = pathPartition;
        Optional<Integer> own = JsonBodies.int32(partitionField, "partition");
        if (own.isPresent()) {
            if (pathPartition >= 0 && own.get() != pathPartition) {
                throw RestException.unprocessable("records[" + i + "] names partition " + own.get()
                        + " but the request is for partition " + pathPartition);
            }
            if (own.get() < 0) {
                throw RestException.unprocessable("records[" + i + "].partition must not be negative");
            }
            partition = own.get();
        }
        ByteBuffer keyBytes = format.toBytes(key, "records[" + i + "].key");
        ByteBuffer valueBytes = format.toBytes(value, "records[" + i + "].value");
        long timestamp = JsonBodies.integer(timestampField, "timestamp").orElse(-1L);
        Header[] headers = V3RecordParser.headers(headersField);
        return new ProduceRequest(new ProducedRecord(keyBytes, valueBytes, timestamp, headers), partition);
    }
}
