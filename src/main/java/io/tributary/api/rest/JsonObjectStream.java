package io.tributary.api.rest;

import jakarta.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Splits a body of JSON objects sent one after another ({@code {...} {...}\n{...}}) into single
 * objects as their last byte arrives, so a streaming producer gets each answer without waiting for
 * the end of the request. It tracks only nesting depth and string/escape state; each object is
 * then parsed strictly by JSON-P.
 *
 * <p>Not thread-safe: one reader per request.
 */
final class JsonObjectStream {

    /** Bounds the memory one record can take before it is parsed. */
    private static final int MAX_OBJECT_BYTES = 16 << 20;

    private final InputStream in;
    private int pending = -2;

    JsonObjectStream(InputStream in) {
        this.in = in;
    }

    /** True if another object follows (skips whitespace; blocks until a byte or the end arrives). */
    boolean hasNext() throws IOException {
        return peekNonWhitespace() >= 0;
    }

    Optional<JsonObject> next() throws IOException {
        int c = peekNonWhitespace();
        if (c < 0) {
            return Optional.empty();
        }
        pending = -2;
        if (c != '{') {
            throw RestException.badRequest("Malformed JSON: expected '{' to start a record, found '" + (char) c + "'");
        }
        ByteArrayOutputStream object = new ByteArrayOutputStream(256);
        object.write(c);
        int depth = 1;
        boolean inString = false;
        boolean escaped = false;
        while (depth > 0) {
            int b = in.read();
            if (b < 0) {
                throw RestException.badRequest("Malformed JSON: the body ended inside a record object");
            }
            object.write(b);
            if (object.size() > MAX_OBJECT_BYTES) {
                throw new RestException(413, "A record object is larger than " + MAX_OBJECT_BYTES + " bytes");
            }
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (b == '\\') {
                    escaped = true;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                depth--;
            }
        }
        return Optional.of(JsonBodies.object(object.toByteArray()));
    }

    private int peekNonWhitespace() throws IOException {
        if (pending != -2) {
            return pending;
        }
        int c;
        do {
            c = in.read();
        } while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',');
        pending = c;
        return c;
    }
}
