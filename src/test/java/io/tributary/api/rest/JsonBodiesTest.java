package io.tributary.api.rest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

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
}
