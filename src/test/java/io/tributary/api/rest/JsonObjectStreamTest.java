package io.tributary.api.rest;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

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
}
