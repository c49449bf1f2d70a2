package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceRequest;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The streaming path against the tree path (the reference): the same records, the same errors. */
class V2RecordParserTest {

    private static final String B64 = Base64.getEncoder().encodeToString(new byte[]{0, 1, -1, 127, -128, 42});

    @Test
    void jsonRecordsAreTheSameAsFromTheTree() {
        same("{\"records\": [{\"value\": {\"a\": 1, \"b\": [true, false, null, 1.50, -2e3, 12345678901234567890]}},"
                + " {\"key\": null, \"value\": [1, 2]}, {\"key\": \"k\", \"value\": \"t\\u00e9xt \\\"q\\\" \\n \\ud83d\\ude00 \\/\"},"
                + " {\"value\": null, \"partition\": 0}, {}, {\"key\": {\"nested\": {\"deep\": [{}]}}, \"value\": 3.0},"
                + " {\"value\": 1, \"timestamp\": 1700000000000, \"headers\": [{\"name\": \"h\", \"value\": \"" + B64 + "\"},"
                + " {\"name\": \"n\", \"value\": null}, {\"name\": \"e\"}]},"
                + " {\"value\": \"x\", \"unknown\": {\"z\": [1]}, \"value\": \"last wins\", \"partition\": 2},"
                + " {\"value\": \"é ü 日本\", \"key\": 0, \"timestamp\": null, \"partition\": null, \"headers\": null}]}",
                -1, EmbeddedFormat.JSON);
    }

    @Test
    void binaryRecordsAreTheSameAsFromTheTree() {
        same("{\"other\": 1, \"records\": [{\"value\": \"" + B64 + "\"}, {\"key\": \"a2V5\", \"value\": \"dmFsdWU=\"},"
                + " {\"key\": null, \"value\": null}, {\"value\": \"\"}, {\"value\": \"AP8=\", \"partition\": 1,"
                + " \"timestamp\": 5, \"headers\": [{\"name\": \"h\", \"value\": \"AA==\"}]}], \"more\": [{}]}",
                1, EmbeddedFormat.BINARY);
        same("{\"records\": [{\"value\": \"AQID\"}], \"records\": [{\"value\": \"AAAA\"}, {\"key\": \"AQ==\"}]}",
                -1, EmbeddedFormat.BINARY);
        // The first of two 'records' fields has a bad record: the streaming path gives up, the tree takes the last.
        byte[] twice = "{\"records\": [{\"value\": \"x\"}], \"records\": [{\"value\": \"AAAA\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(describe(V2RecordParser.tree(twice, -1, EmbeddedFormat.BINARY)),
                describe(V2RecordParser.parse(twice, -1, EmbeddedFormat.BINARY)));
        same("\n {\"records\":[{\"value\":\"AAAA\"}]} \n", -1, EmbeddedFormat.BINARY);
    }

    @Test
    void refusedBodiesGetTheTreesError() {
        String[] bodies = {
            "", "   ", "[1]", "\"x\"", "{", "{\"records\": [{\"value\": \"AAAA\"}]", "{\"records\": [{\"value\": \"AAAA\"},]}",
            "{\"records\": [{\"value\": \"AAAA\"}]} trailing", "{\"records\": [{\"value\": \"AAAA\"}]} {}",
            "{}", "{\"records\": {}}", "{\"records\": []}", "{\"records\": [1]}", "{\"records\": [{\"value\": \"AAAA\"}, null]}",
            "{\"records\": [{\"value\": \"not base64!\"}]}", "{\"records\": [{\"value\": 1}]}",
            "{\"records\": [{\"value\": \"AAAA\", \"partition\": 0}]}", "{\"records\": [{\"partition\": -1}]}",
            "{\"records\": [{\"partition\": 1.5}]}", "{\"records\": [{\"partition\": 99999999999}]}",
            "{\"records\": [{\"timestamp\": \"now\"}]}", "{\"records\": [{\"headers\": {}}]}",
            "{\"records\": [{\"headers\": [{\"value\": \"AA==\"}]}]}", "{\"records\": [{\"headers\": [{\"name\": \"h\", \"value\": \"@\"}]}]}",
            "{\"records\": [{\"value\": \"AAAA\"}], \"records\": 1}",
            "{\"records\": [{\"timestamp\": - 5}]}", "{\"records\": [{\"timestamp\": 05}]}", "{\"records\": [{\"value\": nul}]}",
            // A bad record before malformed JSON: the tree reports the malformed JSON (400).
            "{\"records\": [{\"value\": \"not base64!\"}, {\"value\": tru}]}",
        };
        for (String body : bodies) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            // Mostly RestExceptions; a one-byte body is a JsonException from JSON-P's encoding detection.
            // Text after the object is ignored by the tree reader: both paths then give the same records.
            Object tree = outcome(() -> V2RecordParser.tree(bytes, 1, EmbeddedFormat.BINARY));
            Object parsed = outcome(() -> V2RecordParser.parse(bytes, 1, EmbeddedFormat.BINARY));
            assertEquals(tree, parsed, body);
            if (!(tree instanceof String t) || !t.startsWith("refused")) {
                continue;
            }
            List<ProduceRequest> streamed;
            try {
                streamed = V2RecordParser.stream(bytes, 1, EmbeddedFormat.BINARY);
            } catch (RuntimeException e) {
                streamed = null;
            }
            assertNull(streamed, "the streaming path accepts nothing the tree refuses: " + body);
            assertNull(V2BinaryScanner.scan(bytes, 1), "the binary scanner accepts nothing the tree refuses: " + body);
        }
    }

    @Test
    void plainBinaryBatchesAreScannedIntoTheTreesRecords() {
        String[] bodies = {
            "{\"records\":[{\"value\":\"" + B64 + "\"}]}",
            " \t\r\n{ \"records\" : [ { \"value\" : \"AAAA\" } , {\"key\":\"a2V5\",\"value\":\"dmFsdWU=\"} ] } \n",
            "{\"records\": [{}, {\"key\": null, \"value\": null}, {\"value\": \"\"}, {\"headers\": null}]}",
            "{\"records\": [{\"value\": \"AP8=\", \"partition\": 1, \"timestamp\": 1700000000000, \"key\": \"AQ==\"}]}",
            "{\"records\": [{\"timestamp\": -5}, {\"timestamp\": -0}, {\"timestamp\": 0}, {\"timestamp\": null},"
                + " {\"partition\": null}, {\"timestamp\": 999999999999999999}]}",
            "{\"records\": [{\"partition\": 0, \"value\": \"AA==\"}, {\"partition\": 1}]}",
        };
        for (String body : bodies) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            int path = body.contains("\"partition\": 0") ? -1 : 1;
            List<ProduceRequest> scanned = V2BinaryScanner.scan(bytes, path);
            assertNotNull(scanned, "the scanner takes a plain batch: " + body);
            assertEquals(describe(V2RecordParser.tree(bytes, path, EmbeddedFormat.BINARY)), describe(scanned), body);
            assertEquals(describe(scanned), describe(V2RecordParser.parse(bytes, path, EmbeddedFormat.BINARY)), body);
        }
    }

    @Test
    void batchesThatAreNotPlainAreLeftToTheGeneralPathWithTheSameRecords() {
        String[] bodies = {
            "{\"other\": 1, \"records\": [{\"value\": \"AAAA\"}]}",
            "{\"records\": [{\"value\": \"AAAA\"}], \"more\": []}",
            "{\"records\": [{\"value\": \"AAAA\"}], \"records\": [{\"value\": \"AQID\"}]}",
            "{\"records\": [{\"value\": \"AAAA\", \"unknown\": 1}]}",
            "{\"records\": [{\"value\": \"AAAA\", \"value\": \"AQID\"}]}",
            "{\"records\": [{\"value\": \"a\\/8=\"}]}",
            "{\"records\": [{\"value\": \"\\u0041AAA\"}]}",
            "{\"records\": [{\"timestamp\": 1e3}, {\"timestamp\": 1.0E2}]}",
            "{\"records\": [{\"partition\": 1E0}]}",
            "{\"records\": [{\"timestamp\": 1234567890123456789}]}",
            "{\"records\": [{\"headers\": [{\"name\": \"h\", \"value\": \"AA==\"}]}, {\"headers\": []}]}",
            "{\"records\": [{\"value\": \"AAAA\"}]} trailing",
            "\uFEFF{\"records\": [{\"value\": \"AAAA\"}]}",
        };
        for (String body : bodies) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertNull(V2BinaryScanner.scan(bytes, 1), "not plain: " + body);
            assertEquals(outcome(() -> V2RecordParser.tree(bytes, 1, EmbeddedFormat.BINARY)),
                    outcome(() -> V2RecordParser.parse(bytes, 1, EmbeddedFormat.BINARY)), body);
        }
        for (int cut = 0; cut < 30; cut++) {
            byte[] whole = "{\"records\": [{\"value\": \"AAAA\"}]}".getBytes(StandardCharsets.UTF_8);
            assertNull(V2BinaryScanner.scan(java.util.Arrays.copyOf(whole, cut), 1), "cut at " + cut);
        }
    }

    @Test
    void jsonStringsThatAreNotBinaryAreRefusedInBinary() {
        byte[] bytes = "{\"records\": [{\"key\": {\"a\": 1}}]}".getBytes(StandardCharsets.UTF_8);
        assertThrows(RestException.class, () -> V2RecordParser.parse(bytes, -1, EmbeddedFormat.BINARY));
        assertEquals(1, V2RecordParser.parse(bytes, -1, EmbeddedFormat.JSON).size());
    }

    private static Object outcome(java.util.function.Supplier<List<ProduceRequest>> parse) {
        try {
            return describe(parse.get());
        } catch (RestException e) {
            return "refused " + e.status() + " " + e.getMessage();
        } catch (RuntimeException e) {
            return "refused " + e.getClass().getName() + " " + e.getMessage();
        }
    }

    private static void same(String body, int pathPartition, EmbeddedFormat format) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<ProduceRequest> streamed = V2RecordParser.stream(bytes, pathPartition, format);
        assertNotNull(streamed, "the streaming path takes a well-formed batch");
        List<ProduceRequest> tree = V2RecordParser.tree(bytes, pathPartition, format);
        assertEquals(describe(tree), describe(streamed));
        assertEquals(describe(tree), describe(V2RecordParser.parse(bytes, pathPartition, format)));
    }

    private static List<String> describe(List<ProduceRequest> requests) {
        List<String> out = new ArrayList<>();
        for (ProduceRequest r : requests) {
            StringBuilder s = new StringBuilder();
            s.append("p=").append(r.partition()).append(" key=").append(hex(r.record().key()))
                    .append(" value=").append(hex(r.record().value())).append(" ts=").append(r.record().timestamp());
            for (Header h : r.record().headers()) {
                s.append(" h:").append(h.key()).append('=')
                        .append(h.value() == null ? "null" : hex(ByteBuffer.wrap(h.value())));
            }
            out.add(s.toString());
        }
        return out;
    }

    private static String hex(ByteBuffer b) {
        if (b == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) {
            s.append(String.format("%02x", d.get()));
        }
        return s.toString();
    }
}
