package io.tributary.api.rest;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonBodiesTest {

    private static int statusOf(String body) {
        return assertThrows(RestException.class, () -> JsonBodies.object(body.getBytes(StandardCharsets.UTF_8))).status();
    }

    @Test
    void bodiesTooShortOrBrokenAreBadRequestsNotServerErrors() {
        assertEquals(400, statusOf("{"));
        assertEquals(400, statusOf("{\""));
        assertEquals(400, statusOf("{\"records\": ["));
        assertEquals(400, statusOf("x"));
    }

    @Test
    void aValueThatIsNotAnObjectIsUnprocessable() {
        assertEquals(422, statusOf("[1, 2]"));
        assertEquals(422, statusOf("42"));
    }

    @Test
    void aBodyIsReadWholeWhateverItsDeclaredLength() {
        byte[] body = new byte[100_000];
        new java.util.Random(1).nextBytes(body);
        assertArrayEquals(body, JsonBodies.read(new ByteArrayInputStream(body), body.length), "declared exactly");
        assertArrayEquals(body, JsonBodies.read(new ByteArrayInputStream(body), -1), "chunked, no length");
        assertArrayEquals(body, JsonBodies.read(new ByteArrayInputStream(body), body.length + 10), "shorter than declared");
        assertArrayEquals(body, JsonBodies.read(new ByteArrayInputStream(body), body.length - 10), "longer than declared");
        assertArrayEquals(new byte[0], JsonBodies.read(new ByteArrayInputStream(new byte[0]), 0), "empty");
    }

    @Test
    void aBodyThatCannotBeReadIsABadRequest() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        assertEquals(400, assertThrows(RestException.class, () -> JsonBodies.read(broken, 10)).status());
    }
}
