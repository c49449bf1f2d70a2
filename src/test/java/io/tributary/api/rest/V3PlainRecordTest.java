package io.tributary.api.rest;

import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Plain record objects read from bytes against V3RecordParser on the JSON-P object (the reference). */
class V3PlainRecordTest {

    @Test
    void plainRecordsAreReadIntoTheParsersRecordAndSizes() {
        String[] objects = {
            "{\"value\":{\"type\":\"BINARY\",\"data\":\"AAECAwQ=\"}}",
            " { \"partition_id\" : 2 , \"key\" : { \"data\" : \"a2V5\" , \"type\" : \"BINARY\" } ,"
                + " \"value\" : { \"type\" : \"BINARY\" , \"data\" : \"dmFsdWU=\" } , \"timestamp\" : 1700000000000 } ",
            "{}",
            "{\"key\": null, \"value\": null, \"timestamp\": null, \"headers\": null}",
            "{\"value\": {\"type\": \"BINARY\"}, \"key\": {\"type\": \"BINARY\", \"data\": null}}",
            "{\"value\": {\"type\": \"BINARY\", \"data\": \"\"}, \"partition_id\": 0, \"timestamp\": 0}",
        };
        for (String o : objects) {
            byte[] bytes = ("xx" + o + "yy").getBytes(StandardCharsets.UTF_8);
            V3RecordParser.Parsed plain = V3PlainRecord.scan(bytes, 2, bytes.length - 4);
            assertNotNull(plain, "plain: " + o);
            V3RecordParser.Parsed reference = V3RecordParser.parse(JsonBodies.object(o.getBytes(StandardCharsets.UTF_8)));
            assertEquals(describe(reference), describe(plain), o);
        }
    }

    @Test
    void otherRecordsAreLeftToTheParser() {
        String[] objects = {
            "{\"value\": {\"type\": \"JSON\", \"data\": {\"a\": 1}}}",
            "{\"value\": {\"data\": \"AAAA\"}}",
            "{\"value\": {\"type\": \"binary\", \"data\": \"AAAA\"}}",
            "{\"value\": {\"type\": \"BINARY\", \"data\": \"not base64!\"}}",
            "{\"value\": {\"type\": \"BINARY\", \"data\": \"AAAA\", \"data\": \"AQID\"}}",
            "{\"value\": {\"type\": \"BINARY\", \"type\": \"BINARY\"}}",
            "{\"value\": {\"type\": \"BINARY\", \"data\": \"AA\\u003d\\u003d\"}}",
            "{\"value\": {\"type\": \"BINARY\", \"size\": 1}}",
            "{\"partition_id\": null}", "{\"partition_id\": -1}", "{\"partition_id\": 1.0}", "{\"partition_id\": 99999999999}",
            "{\"timestamp\": \"2024-01-01T00:00:00Z\"}", "{\"timestamp\": -1}", "{\"timestamp\": 1e3}",
            "{\"headers\": [{\"name\": \"h\", \"value\": \"AA==\"}]}", "{\"headers\": []}",
            "{\"other\": 1}", "{\"key\": null, \"key\": null}", "{\"value\": 5}", "{\"value\": \"AAAA\"}",
            "{\"value\": null,}", "{\"value\": null} {}", "{\"value\": null", "[]", "{\"vålue\": null}",
        };
        for (String o : objects) {
            byte[] bytes = o.getBytes(StandardCharsets.UTF_8);
            assertNull(V3PlainRecord.scan(bytes, 0, bytes.length), "not plain: " + o);
        }
    }

    private static String describe(V3RecordParser.Parsed p) {
        StringBuilder s = new StringBuilder();
        s.append("p=").append(p.request().partition()).append(" key=").append(hex(p.request().record().key()))
                .append(" value=").append(hex(p.request().record().value()))
                .append(" ts=").append(p.request().record().timestamp())
                .append(" keySize=").append(p.key()).append(" valueSize=").append(p.value());
        for (Header h : p.request().record().headers()) {
            s.append(" h:").append(h.key());
        }
        return s.toString();
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
