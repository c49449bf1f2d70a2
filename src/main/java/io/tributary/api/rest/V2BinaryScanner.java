package io.tributary.api.rest;

import io.tributary.api.rest.PlainJson.NotPlain;
import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.records.ProducedRecord;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tributary.api.rest.PlainJson.NOT_PLAIN;
import static io.tributary.api.rest.PlainJson.ascii;

/**
 * Reads a v2 batch of binary records in its plainest form straight from the body's bytes:
 * {@code {"records": [{"key": "<base64>", "value": "<base64>", "partition": 1, "timestamp": 5}, ...]}}
 * with any of the four fields absent or null, {@code "headers": null}, and JSON whitespace anywhere
 * between tokens. Base64 is decoded from the body itself, with no character, string or JSON value
 * made on the way.
 *
 * <p>It accepts a strict subset of what the JSON tree ({@link V2RecordParser#tree}) accepts and
 * reads it into the same records. Anything else (another top-level field, an unknown or repeated
 * record field, headers, a backslash, a control or non-ASCII character, a negative partition, a
 * fraction or an exponent, invalid base64, a partition other than the path's, an empty batch,
 * text after the object) gives null: the caller then reads the body the general way, so errors are
 * only ever answered there.
 *
 * <p>Stateless and thread-safe.
 */
final class V2BinaryScanner {

    private static final byte[] RECORDS = ascii("records");
    private static final byte[][] FIELDS = {
        ascii("key"), ascii("value"), ascii("partition"), ascii("timestamp"), ascii("headers"),
    };
    private static final int KEY = 0;
    private static final int VALUE = 1;
    private static final int PARTITION = 2;
    private static final int TIMESTAMP = 3;

    private V2BinaryScanner() {
    }

    /** The records of {@code body} if it is a batch in the plain form, else null. */
    static List<ProduceRequest> scan(byte[] body, int pathPartition) {
        if (body == null) {
            return null;
        }
        try {
            return batch(new PlainJson(body, 0, body.length), pathPartition);
        } catch (NotPlain e) {
            return null;
        }
    }

    private static List<ProduceRequest> batch(PlainJson json, int pathPartition) {
        json.expect('{');
        json.string();
        if (!json.is(RECORDS)) {
            throw NOT_PLAIN;
        }
        json.expect(':');
        json.expect('[');
        List<ProduceRequest> requests = new ArrayList<>();
        do {
            requests.add(record(json, pathPartition));
        } while (json.take(','));
        json.expect(']');
        json.expect('}');
        if (!json.atEnd()) {
            throw NOT_PLAIN;
        }
        return requests;
    }

    private static ProduceRequest record(PlainJson json, int pathPartition) {
        json.expect('{');
        ByteBuffer key = null;
        ByteBuffer value = null;
        long timestamp = -1;
        int partition = pathPartition;
        if (!json.take('}')) {
            int seen = 0;
            do {
                int field = json.field(FIELDS);
                seen = PlainJson.once(seen, field);
                boolean isNull = json.takeNull();
                switch (field) {
                    case KEY -> key = isNull ? null : json.base64();
                    case VALUE -> value = isNull ? null : json.base64();
                    case PARTITION -> {
                        if (!isNull) {
                            // No sign: a negative partition is refused by the tree.
                            long own = json.digits(9);
                            if (pathPartition >= 0 && own != pathPartition) {
                                throw NOT_PLAIN;
                            }
                            partition = (int) own;
                        }
                    }
                    case TIMESTAMP -> {
                        if (!isNull) {
                            boolean negative = json.take('-');
                            long t = json.digits(18);
                            timestamp = negative ? -t : t;
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
        return new ProduceRequest(new ProducedRecord(key, value, timestamp, ProducedRecord.NO_HEADERS), partition);
    }
}
