package io.tributary.api.rest;

import io.tributary.api.rest.PlainJson.NotPlain;
import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.records.ProducedRecord;

import java.nio.ByteBuffer;

import static io.tributary.api.rest.PlainJson.NOT_PLAIN;
import static io.tributary.api.rest.PlainJson.ascii;

/**
 * Reads a v3 record object in its plainest form straight from its bytes:
 * {@code {"partition_id": 1, "key": {"type": "BINARY", "data": "<base64>"}, "value": {...}, "timestamp": 5}}
 * with any field absent, key and value null or binary with null or absent data, {@code "headers": null}, a
 * timestamp in epoch milliseconds or null, and JSON whitespace between tokens.
 *
 * <p>It accepts a strict subset of what {@link V3RecordParser#parse} accepts from the same object
 * parsed by JSON-P, and reads it into the same record and sizes. Anything else (another format,
 * an unknown or repeated field, headers, an ISO-8601 timestamp, a null partition, a sign, a
 * fraction or an exponent, escapes, non-ASCII text, invalid base64) gives null: the caller then
 * parses the object with JSON-P, which alone answers errors.
 *
 * <p>Stateless and thread-safe.
 */
final class V3PlainRecord {

    private static final byte[][] FIELDS = {
        ascii("partition_id"), ascii("key"), ascii("value"), ascii("timestamp"), ascii("headers"),
    };
    private static final int PARTITION_ID = 0;
    private static final int KEY = 1;
    private static final int VALUE = 2;
    private static final int TIMESTAMP = 3;
    private static final byte[][] DATA_FIELDS = {ascii("type"), ascii("data")};
    private static final int TYPE = 0;
    private static final byte[] BINARY = ascii(EmbeddedFormat.BINARY.name());

    private V3PlainRecord() {
    }

    /** The record in {@code length} bytes of {@code bytes} from {@code offset} if it is in the plain form, else null. */
    static V3RecordParser.Parsed scan(byte[] bytes, int offset, int length) {
        try {
            return record(new PlainJson(bytes, offset, length));
        } catch (NotPlain e) {
            return null;
        }
    }

    private static V3RecordParser.Parsed record(PlainJson json) {
        json.expect('{');
        int partition = -1;
        ByteBuffer key = null;
        ByteBuffer value = null;
        V3Dtos.Size keySize = null;
        V3Dtos.Size valueSize = null;
        long timestamp = -1;
        if (!json.take('}')) {
            int seen = 0;
            do {
                int field = json.field(FIELDS);
                seen = PlainJson.once(seen, field);
                boolean isNull = json.takeNull();
                switch (field) {
                    case PARTITION_ID -> {
                        if (isNull) {
                            // The tree refuses a null partition.
                            throw NOT_PLAIN;
                        }
                        partition = (int) json.digits(9);
                    }
                    case KEY -> {
                        if (!isNull) {
                            key = binary(json);
                            keySize = size(key);
                        }
                    }
                    case VALUE -> {
                        if (!isNull) {
                            value = binary(json);
                            valueSize = size(value);
                        }
                    }
                    case TIMESTAMP -> {
                        if (!isNull) {
                            timestamp = json.digits(18);
                        }
                    }
                    default -> {
                        // Headers: only null is plain.
                        if (!isNull) {
                            throw NOT_PLAIN;
                        }
                    }
                }
            } while (json.take(','));
            json.expect('}');
        }
        if (!json.atEnd()) {
            throw NOT_PLAIN;
        }
        ProducedRecord record = new ProducedRecord(key, value, timestamp, ProducedRecord.NO_HEADERS);
        return new V3RecordParser.Parsed(new ProduceRequest(record, partition), keySize, valueSize);
    }

    /** {@code {"type": "BINARY", "data": <base64 or null>}}, data possibly absent: its bytes or null. */
    private static ByteBuffer binary(PlainJson json) {
        json.expect('{');
        boolean typed = false;
        boolean hasData = false;
        ByteBuffer data = null;
        if (!json.take('}')) {
            do {
                int field = json.field(DATA_FIELDS);
                if (field == TYPE) {
                    json.string();
                    if (typed || !json.is(BINARY)) {
                        throw NOT_PLAIN;
                    }
                    typed = true;
                } else {
                    if (hasData) {
                        throw NOT_PLAIN;
                    }
                    hasData = true;
                    data = json.takeNull() ? null : json.base64();
                }
            } while (json.take(','));
            json.expect('}');
        }
        if (!typed) {
            // No type means JSON, which the tree reads.
            throw NOT_PLAIN;
        }
        return data;
    }

    private static V3Dtos.Size size(ByteBuffer bytes) {
        return new V3Dtos.Size(EmbeddedFormat.BINARY.name(), bytes == null ? 0 : bytes.remaining());
    }
}
