package io.tributary.api.rest;

import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Reads request bodies with JSON-P so that malformed JSON (400) is told apart from well-formed
 * JSON with wrong content (422), each with a message that says what was wrong.
 */
final class JsonBodies {

    // Json.createReader looks the provider up on every call, which costs about as much as parsing
    // a small record on the streaming produce path; the factory is immutable and thread-safe.
    private static final JsonReaderFactory READERS = Json.createReaderFactory(null);

    private JsonBodies() {
    }

    /** Largest body read into an array of its declared length at once; a longer one grows as it arrives. */
    private static final int PRESIZED_LIMIT = 16 << 20;

    /**
     * The whole of a request body whose {@code Content-Length} is {@code contentLength} (-1 if
     * unknown, as for a chunked body). A declared length is read straight into one array of that
     * size, without the copies of a growing buffer.
     */
    static byte[] read(InputStream in, long contentLength) {
        try {
            if (contentLength < 0 || contentLength > PRESIZED_LIMIT) {
                return in.readAllBytes();
            }
            byte[] body = new byte[(int) contentLength];
            int n = in.readNBytes(body, 0, body.length);
            if (n < body.length) {
                return Arrays.copyOf(body, n);
            }
            int extra = in.read();
            if (extra < 0) {
                return body;
            }
            // More than declared (the container should not let this happen): keep every byte.
            byte[] rest = in.readAllBytes();
            byte[] all = Arrays.copyOf(body, body.length + 1 + rest.length);
            all[body.length] = (byte) extra;
            System.arraycopy(rest, 0, all, body.length + 1, rest.length);
            return all;
        } catch (IOException e) {
            throw RestException.badRequest("Could not read the request body: " + e.getMessage());
        }
    }

    static JsonObject object(byte[] body) {
        if (body == null || body.length == 0) {
            throw RestException.badRequest("The request body is empty; a JSON object was expected");
        }
        return object(new ByteArrayInputStream(body));
    }

    /**
     * The object in {@code length} UTF-8 bytes of {@code body} from {@code offset}. Decoding to a
     * string first avoids the stream decoder (and its 8 KiB buffer) that a reader over bytes sets
     * up for every small record.
     */
    static JsonObject object(byte[] body, int offset, int length) {
        return object(READERS.createReader(new StringReader(new String(body, offset, length, StandardCharsets.UTF_8))));
    }

    static JsonObject object(InputStream in) {
        JsonReader reader;
        try {
            // Detecting the body's encoding reads its first bytes: a body too short for that fails here.
            reader = READERS.createReader(in);
        } catch (jakarta.json.JsonException e) {
            throw RestException.badRequest("Malformed JSON: " + e.getMessage());
        }
        return object(reader);
    }

    private static JsonObject object(JsonReader input) {
        try (JsonReader reader = input) {
            JsonValue value = reader.readValue();
            if (!(value instanceof JsonObject o)) {
                throw RestException.unprocessable("A JSON object was expected, got " + value.getValueType());
            }
            return o;
        } catch (JsonParsingException e) {
            throw RestException.badRequest("Malformed JSON: " + e.getMessage());
        } catch (jakarta.json.JsonException e) {
            if (e.getCause() instanceof IOException io) {
                throw RestException.badRequest("Could not read the request body: " + io.getMessage());
            }
            throw RestException.badRequest("Malformed JSON: " + e.getMessage());
        }
    }

    static Optional<String> string(JsonObject o, String field) {
        JsonValue v = o.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (v instanceof JsonString s) {
            return Optional.of(s.getString());
        }
        throw RestException.unprocessable("Field '" + field + "' must be a string");
    }

    static Optional<Long> integer(JsonObject o, String field) {
        return integer(o.get(field), field);
    }

    /** Field {@code field}'s value {@code v} (null if absent) as a whole number. */
    static Optional<Long> integer(JsonValue v, String field) {
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (v instanceof JsonNumber n && n.isIntegral()) {
            try {
                return Optional.of(n.longValueExact());
            } catch (ArithmeticException e) {
                throw RestException.unprocessable("Field '" + field + "' is out of range");
            }
        }
        throw RestException.unprocessable("Field '" + field + "' must be a whole number");
    }

    static Optional<Integer> int32(JsonObject o, String field) {
        return int32(o.get(field), field);
    }

    /** Field {@code field}'s value {@code v} (null if absent) as a 32-bit whole number. */
    static Optional<Integer> int32(JsonValue v, String field) {
        return integer(v, field).map(n -> {
            if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
                throw RestException.unprocessable("Field '" + field + "' is out of range");
            }
            return n.intValue();
        });
    }
}
