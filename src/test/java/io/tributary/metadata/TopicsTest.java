package io.tributary.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.errors.InvalidTopicException;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void nameOf249CharactersIsAccepted() {
        Topics.validateName("a".repeat(249));
    }

    @Test
    void nameOf250CharactersIsRejected() {
        InvalidTopicException e = assertThrows(InvalidTopicException.class, () -> Topics.validateName("a".repeat(250)));
        assertTrue(e.getMessage().contains("249"), e.getMessage());
    }

    @Test
    void dotAndDotDotAreRejected() {
        assertThrows(InvalidTopicException.class, () -> Topics.validateName("."));
        assertThrows(InvalidTopicException.class, () -> Topics.validateName(".."));
        Topics.validateName("...");
    }

    @Test
    void emptyAndNullAreRejected() {
        assertThrows(InvalidTopicException.class, () -> Topics.validateName(""));
        assertThrows(InvalidTopicException.class, () -> Topics.validateName(null));
    }

    @Test
    void charactersOutsideTheLegalSetAreRejected() {
        for (String bad : new String[] {"a b", "a/b", "a:b", "ä", "a*", "a\\b", "a,b"}) {
            InvalidTopicException e = assertThrows(InvalidTopicException.class, () -> Topics.validateName(bad), bad);
            assertTrue(e.getMessage().contains("ASCII alphanumerics"), e.getMessage());
        }
        Topics.validateName("Az09._-");
    }

    @Test
    void dotAndUnderscoreCollide() {
        assertTrue(Topics.hasCollisionChars("a.b"));
        assertTrue(Topics.hasCollisionChars("a_b"));
        assertFalse(Topics.hasCollisionChars("a-b"));
        assertEquals("a_b_c", Topics.unifyCollisionChars("a.b_c"));
        assertTrue(Topics.collide("a.b", "a_b"));
    }

    @Test
    void kafkaInternalTopicsAreInternal() {
        assertTrue(Topics.isInternal("__consumer_offsets"));
        assertTrue(Topics.isInternal("__transaction_state"));
        assertFalse(Topics.isInternal("orders"));
    }
}
