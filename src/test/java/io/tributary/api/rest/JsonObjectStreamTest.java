package io.tributary.api.rest;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonObjectStreamTest {

    private static JsonObjectStream of(String s) {
        return new JsonObjectStream(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void objectsSentBackToBackAreSplit() throws IOException {
        JsonObjectStream s = of("{\"a\": {\"b\": [1, {\"c\": \"}\"}]}} \n{\"d\": \"\\\"{\"}{}");
        assertEquals(1, s.next().orElseThrow().getJsonObject("a").getJsonArray("b").getInt(0));
        assertEquals("\"{", s.next().orElseThrow().getString("d"));
        assertTrue(s.hasNext());
        assertTrue(s.next().orElseThrow().isEmpty());
        assertFalse(s.hasNext());
        assertEquals(Optional.<JsonObject>empty(), s.next());
    }

    @Test
    void truncatedOrNonObjectInputIsMalformed() {
        assertEquals(400, assertThrows(RestException.class, () -> of("{\"a\": ").next()).status());
        assertEquals(400, assertThrows(RestException.class, () -> of("[1]").next()).status());
        assertEquals(400, assertThrows(RestException.class, () -> of("{\"a\": tru}").next()).status());
    }

    /** Hands out the given pieces, one per read, as a network stream delivers what has arrived. */
    private static InputStream pieces(String... parts) {
        Deque<byte[]> queue = new ArrayDeque<>();
        for (String p : parts) {
            queue.add(p.getBytes(StandardCharsets.UTF_8));
        }
        return new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException("the stream must be read in pieces");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                byte[] next = queue.poll();
                if (next == null) {
                    return -1;
                }
                if (next.length > len) {
                    queue.addFirst(java.util.Arrays.copyOfRange(next, len, next.length));
                }
                int n = Math.min(len, next.length);
                System.arraycopy(next, 0, b, off, n);
                return n;
            }
        };
    }

    @Test
    void objectsSplitAcrossReadsAreJoined() throws IOException {
        JsonObjectStream s = new JsonObjectStream(pieces("{\"a\": \"x", "\\", "\"y\"}", " {\"b\"", ": [1]}"));
        assertEquals("x\"y", s.next().orElseThrow().getString("a"));
        assertEquals(1, s.next().orElseThrow().getJsonArray("b").getInt(0));
        assertEquals(Optional.<JsonObject>empty(), s.next());
    }

    @Test
    void tellsWhetherTheNextObjectHasArrived() throws IOException {
        JsonObjectStream s = new JsonObjectStream(pieces("{\"n\": 1}\n{\"n\": 2}\n{\"n\"", ": 3}\n"));
        assertEquals(1, s.next().orElseThrow().getInt("n"));
        assertTrue(s.nextIsBuffered(), "the second object arrived with the first");
        assertEquals(2, s.next().orElseThrow().getInt("n"));
        assertFalse(s.nextIsBuffered(), "only part of the third has arrived");
        assertEquals(3, s.next().orElseThrow().getInt("n"));
        assertFalse(s.nextIsBuffered(), "nothing read yet tells whether the body ends");
        assertEquals(Optional.<JsonObject>empty(), s.next());
        assertTrue(s.nextIsBuffered(), "the end has been seen");
    }

    @Test
    void malformedInputCountsAsBuffered() throws IOException {
        JsonObjectStream s = new JsonObjectStream(pieces("{} x"));
        assertFalse(s.nextIsBuffered(), "nothing has been read yet");
        assertTrue(s.hasNext());
        assertTrue(s.nextIsBuffered());
        assertTrue(assertDoesNotThrow(() -> s.next()).isPresent());
        assertTrue(s.nextIsBuffered(), "next() answers the malformed input at once");
        assertEquals(400, assertThrows(RestException.class, s::next).status());
    }

    @Test
    void objectsLargerThanOneReadAreWhole() throws IOException {
        String big = "x".repeat(200_000);
        JsonObjectStream s = of("{\"v\": \"" + big + "\"}{\"v\": \"" + big + "y\"}");
        assertEquals(big, s.next().orElseThrow().getString("v"));
        assertEquals(big + "y", s.next().orElseThrow().getString("v"));
        assertFalse(s.hasNext());
    }

    @Test
    void anObjectOverTheLimitIsRejected() {
        String huge = "{\"v\": \"" + "x".repeat(JsonObjectStream.MAX_OBJECT_BYTES) + "\"}";
        assertEquals(413, assertThrows(RestException.class, () -> of(huge).next()).status());
    }
}
