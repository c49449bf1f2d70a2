package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.records.ConsumedRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hand-written record encoding gives the same bytes as writing every field with the JSON-P
 * generator ({@link ReferenceRecordEncoder}), whatever the keys, values and headers hold.
 */
class JsonRecordEncoderTest {

    private static final TopicPartition TP = new TopicPartition("orders.v1_x-y", 3);

    private static final List<String> TEXTS = List.of(
            "", " ", "hello", "{\"n\":1,\"p\":\"xxxxxxxx\"}", " { \"a\" : [ 1 , 2 , { } , [ ] ] ,\n\t\"b\" : null } ",
            "[]", "{}", "[true,false,null]", "true", "false", "null", "nul", "\"top level\"",
            "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0001 \\u001F \\u007f \\u00e9 \\u20AC \\ud83d\\ude00 \\ud800 x\\udc00\"",
            "\"raw é € 😀 \u2028 \u007f\"", "\"bad escape \\x\"", "\"ctl \u0001 raw\"", "\"unterminated",
            "0", "-0", "7", "-7", "1.50", "-1.5", "0.5", "-0.5", "0.05", "0.0", "-0.0", "0.0000001", "1e5", "1E-2",
            "2.5e+3", "123456789012345678", "-123456789012345678", "1234567890123456789", "12345678901234567890",
            "2147483648", "01", "1.", ".5", "-", "+1", "5 6", "[1,]", "{\"a\":1,}", "{\"a\":1,\"b\":2,\"a\":3}",
            "{\"a\":1,\"\\u0061\":2}", "{\"k\":{\"k\":{\"k\":1}}}", "[1 2]", "{\"a\" 1}", "{1:2}", "[", "]", "{",
            "\uFFFD", "\"\uFFFD\"", "{\"é\":\"ü\",\"😀\":[\"€\"]}", "\ufeff{}", "\u00a0{}");

    @Test
    void textsInEveryFormatMatchTheGenerator() {
        for (EmbeddedFormat format : EmbeddedFormat.values()) {
            for (String key : List.of("alice", "{\"id\":7}", "ü")) {
                for (String text : TEXTS) {
                    assertSame(format, record(7, bytes(key), bytes(text), new Header[0]));
                    assertSame(format, record(8, bytes(text), null, new Header[0]));
                }
            }
        }
    }

    @Test
    void nullsBinaryAndNonUtf8MatchTheGenerator() {
        byte[][] values = {
                null, new byte[0], {(byte) 0xff, (byte) 0xfe, 0, 1}, {(byte) 0xc3}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                {(byte) 0xef, (byte) 0xbf, (byte) 0xbd}, {'{', '"', 'a', '"', ':', (byte) 0x80, '}'}, {0, 0, 0},
                {'"', (byte) 0xef, (byte) 0xbf, (byte) 0xbd, (byte) 0xff, '"'}};
        for (EmbeddedFormat format : EmbeddedFormat.values()) {
            for (byte[] key : values) {
                for (byte[] value : values) {
                    assertSame(format, record(1, key, value, new Header[0]));
                }
            }
        }
    }

    @Test
    void headersMatchTheGenerator() {
        Header[] headers = {
                new RecordHeader("trace", bytes("abc")), new RecordHeader("null", null),
                new RecordHeader("esc \"q\" \\ \n é 😀", new byte[]{(byte) 0xff, 0, 1}),
                new RecordHeader("", new byte[0])};
        for (EmbeddedFormat format : EmbeddedFormat.values()) {
            assertSame(format, record(5, null, bytes("{\"n\":1}"), headers));
            assertSame(format, new ConsumedRecord(9, -1, TimestampType.LOG_APPEND_TIME, 0, null, null, headers, 0));
            assertSame(format, new ConsumedRecord(9, -1, TimestampType.NO_TIMESTAMP_TYPE, 0, null, null, headers, 0));
        }
    }

    @Test
    void everyCharInAStringMatchesTheGenerator() {
        StringBuilder all = new StringBuilder("\"");
        StringBuilder escaped = new StringBuilder("\"");
        for (char c = 1; c < 0xFFFF; c++) {
            if (c != '"' && c != '\\' && !Character.isSurrogate(c)) {
                all.append(c);
            }
            escaped.append(String.format("\\u%04x", (int) c));
        }
        all.append("😀\"");
        escaped.append('"');
        for (EmbeddedFormat format : EmbeddedFormat.values()) {
            assertSame(format, record(2, bytes(all.toString()), bytes(all.toString()), new Header[0]));
            assertSame(format, record(3, null, bytes(escaped.toString()), new Header[0]));
        }
    }

    @Test
    void largeAndDeepValuesMatchTheGenerator() {
        StringBuilder large = new StringBuilder("[");
        for (int i = 0; i < 20_000; i++) {
            large.append(i == 0 ? "" : ", ").append("{\"i\": ").append(i).append(", \"s\": \"v\\u00e9").append(i).append("\"}");
        }
        large.append(']');
        for (int depth : new int[]{JsonText.MAX_DEPTH - 1, JsonText.MAX_DEPTH, JsonText.MAX_DEPTH + 1, 500}) {
            String deep = "[".repeat(depth) + "1" + "]".repeat(depth);
            String objects = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
            for (EmbeddedFormat format : EmbeddedFormat.values()) {
                assertSame(format, record(4, null, bytes(deep), new Header[0]));
                assertSame(format, record(4, null, bytes(objects), new Header[0]));
            }
        }
        StringBuilder manyNames = new StringBuilder("{");
        for (int i = 0; i < JsonText.MAX_KEYS + 5; i++) {
            manyNames.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        }
        manyNames.append('}');
        for (EmbeddedFormat format : EmbeddedFormat.values()) {
            assertSame(format, record(6, bytes("k"), bytes(large.toString()), new Header[0]));
            assertSame(format, record(6, bytes("k"), bytes(manyNames.toString()), new Header[0]));
            assertSame(format, record(6, null, new byte[300_000], new Header[0]));
        }
    }

    @Test
    void randomJsonLikeTextMatchesTheGenerator() {
        Random random = new Random(8);
        String alphabet = "{}[]\":, \n\t0123456789.-eE+truefalsn\\u/aé😀";
        for (int i = 0; i < 3_000; i++) {
            String text = i % 2 == 0 ? randomJson(random, 0) : randomChars(random, alphabet);
            assertSame(EmbeddedFormat.JSON, record(i, null, bytes(text), new Header[0]));
        }
    }

    @Test
    void batchMatchesTheReferenceSplice() {
        ReferenceRecordEncoder reference = new ReferenceRecordEncoder(EmbeddedFormat.JSON);
        JsonRecordEncoder encoder = new JsonRecordEncoder(EmbeddedFormat.JSON);
        List<String> frames = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        encoder.batchStart(out, TP);
        for (int i = 0; i < 5; i++) {
            ConsumedRecord r = record(i, bytes("k" + i), bytes("{\"n\": " + i + "}"), new Header[0]);
            frames.add(reference.record(TP, r));
            if (i > 0) {
                encoder.batchSeparator(out);
            }
            encoder.record(out, TP, r);
        }
        encoder.batchEnd(out);
        assertEquals(reference.batch(TP, frames), out.toString());
    }

    private static void assertSame(EmbeddedFormat format, ConsumedRecord r) {
        String expected = new ReferenceRecordEncoder(format).record(TP, r);
        StringBuilder out = new StringBuilder("prefix");
        long size = new JsonRecordEncoder(format).record(out, TP, r);
        String actual = out.substring("prefix".length());
        // Messages name the record only: some frames are megabytes long.
        assertEquals(expected, actual, () -> "format " + format + ", record " + r.offset() + ": " + abbreviated(actual));
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), actual.getBytes(StandardCharsets.UTF_8));
        assertEquals(utf8Length(expected), size, () -> "UTF-8 size, format " + format + ", record " + r.offset());
    }

    private static String abbreviated(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** How the session counts a frame's bytes: a lone surrogate as three bytes, as its encoder would. */
    private static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static ConsumedRecord record(long offset, byte[] key, byte[] value, Header[] headers) {
        return new ConsumedRecord(offset, 1_700_000_000_000L + offset, TimestampType.CREATE_TIME, 0,
                key == null ? null : ByteBuffer.wrap(key).asReadOnlyBuffer(),
                value == null ? null : ByteBuffer.wrap(value).asReadOnlyBuffer(), headers, 0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String randomChars(Random random, String alphabet) {
        int[] points = alphabet.codePoints().toArray();
        StringBuilder out = new StringBuilder();
        for (int i = random.nextInt(20); i >= 0; i--) {
            out.appendCodePoint(points[random.nextInt(points.length)]);
        }
        return out.toString();
    }

    private static String randomJson(Random random, int depth) {
        String ws = random.nextInt(4) == 0 ? " \n" : "";
        int kind = depth > 4 ? 3 + random.nextInt(4) : random.nextInt(7);
        return ws + switch (kind) {
            case 0, 1 -> {
                StringBuilder o = new StringBuilder("{");
                for (int i = random.nextInt(4); i > 0; i--) {
                    o.append(randomJsonString(random)).append(ws).append(':').append(randomJson(random, depth + 1))
                            .append(i > 1 ? "," : "");
                }
                yield o.append('}');
            }
            case 2 -> {
                StringBuilder a = new StringBuilder("[");
                for (int i = random.nextInt(4); i > 0; i--) {
                    a.append(randomJson(random, depth + 1)).append(i > 1 ? "," : "");
                }
                yield a.append(']');
            }
            case 3 -> randomJsonString(random);
            case 4 -> List.of("0", "-0", "12", "-3.25", "0.5", "0.05", "-0.0", "1e3", "4.0E-2", "99999999999999999999")
                    .get(random.nextInt(10));
            case 5 -> List.of("true", "false", "null").get(random.nextInt(3));
            default -> String.valueOf(random.nextLong());
        } + ws;
    }

    private static String randomJsonString(Random random) {
        String[] parts = {"a", "b", "é", "😀", "\\n", "\\\"", "\\u0000", "\\ud83d", "\\ude00", "\\/", " ", "\\\\", "\\u00FF"};
        StringBuilder s = new StringBuilder("\"");
        for (int i = random.nextInt(4); i > 0; i--) {
            s.append(parts[random.nextInt(parts.length)]);
        }
        return s.append('"').toString();
    }
}
