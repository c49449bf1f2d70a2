package io.tributary.api.rest;

import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * How keys and values travel inside JSON. Producing: {@code JSON} data is stored as its JSON text
 * (UTF-8), {@code STRING} as UTF-8, {@code BINARY} as the bytes of its base64. Reading: the reader
 * picks a format; {@code json} gives a value that is valid JSON as JSON and anything else as a
 * UTF-8 string or, if it is not UTF-8, base64, and says which in a {@code *_format} field, so no
 * byte is ever mangled or ambiguous.
 */
public enum EmbeddedFormat {
    JSON, STRING, BINARY;

    // Json.createReader and Json.createValue look the provider up on every call, which costs more than
    // the parse itself on the read and WebSocket delivery paths; the provider is thread-safe.
    private static final JsonProvider JSON_PROVIDER = JsonProvider.provider();

    /** The format named in a request ({@code json}, {@code string}, {@code binary}; any case). */
    public static EmbeddedFormat parse(String name, String what) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw RestException.unprocessable("Unknown " + what + " '" + name + "': use JSON, STRING or BINARY");
        }
    }

    /** The bytes a produced key or value carries, or null for JSON null. */
    public ByteBuffer toBytes(JsonValue data, String field) {
        if (data == null || data.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        return switch (this) {
            case JSON -> ByteBuffer.wrap(data.toString().getBytes(StandardCharsets.UTF_8));
            case STRING -> {
                if (!(data instanceof JsonString s)) {
                    throw RestException.unprocessable(field + " has type STRING but its data is not a JSON string");
                }
                yield ByteBuffer.wrap(s.getString().getBytes(StandardCharsets.UTF_8));
            }
            case BINARY -> {
                if (!(data instanceof JsonString s)) {
                    throw RestException.unprocessable(field + " has type BINARY but its data is not a base64 string");
                }
                try {
                    yield ByteBuffer.wrap(Base64.getDecoder().decode(s.getString()));
                } catch (IllegalArgumentException e) {
                    throw RestException.unprocessable(field + " is not valid base64: " + e.getMessage());
                }
            }
        };
    }

    /** A read key or value, encoded in the format the reader asked for. */
    public record Encoded(JsonValue value, String format) {
        static final Encoded NULL = new Encoded(JsonValue.NULL, null);
    }

    public Encoded encode(ByteBuffer bytes) {
        if (bytes == null) {
            return Encoded.NULL;
        }
        return switch (this) {
            case BINARY -> base64(bytes);
            case STRING -> utf8(bytes);
            case JSON -> {
                Encoded text = utf8(bytes);
                if (text.format().equals("binary")) {
                    yield text;
                }
                String s = ((JsonString) text.value()).getString();
                try (var reader = JSON_PROVIDER.createReader(new StringReader(s))) {
                    yield new Encoded(reader.readValue(), "json");
                } catch (jakarta.json.JsonException e) {
                    yield text;
                }
            }
        };
    }

    private static Encoded utf8(ByteBuffer bytes) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.duplicate());
            return new Encoded(JSON_PROVIDER.createValue(chars.toString()), "string");
        } catch (CharacterCodingException e) {
            return base64(bytes);
        }
    }

    private static Encoded base64(ByteBuffer bytes) {
        ByteBuffer encoded = Base64.getEncoder().encode(bytes.duplicate());
        return new Encoded(JSON_PROVIDER.createValue(StandardCharsets.US_ASCII.decode(encoded).toString()), "binary");
    }
}
