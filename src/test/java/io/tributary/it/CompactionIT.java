package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compacted topics on a real broker: the latest value per key survives compaction and restarts. */
class CompactionIT {

    private LibertyServer server;

    @AfterEach
    void cleanUp() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theLatestValuePerKeySurvivesCompactionAndARestart() throws Exception {
        server = new LibertyServer(Map.of("log.cleaner.backoff.ms", "300", "file.delete.delay.ms", "100")).start();
        Http http = new Http(server);
        String cluster = http.clusterId();
        var configs = Json.createArrayBuilder();
        Map.of("cleanup.policy", "compact", "segment.bytes", "2048", "min.cleanable.dirty.ratio", "0.01")
                .forEach((k, v) -> configs.add(Json.createObjectBuilder().add("name", k).add("value", v)));
        assertEquals(201, http.post("/v3/clusters/" + cluster + "/topics", Json.createObjectBuilder()
                .add("topic_name", "profiles").add("partitions_count", 1).add("configs", configs).build()).status());

        Http.Answer keyless = http.post("/topics/profiles", "application/vnd.kafka.json.v2+json", "{\"records\": [{\"value\": 1}]}");
        assertEquals(422, keyless.status(), keyless.body());

        for (int round = 0; round < 20; round++) {
            StringBuilder body = new StringBuilder("{\"records\": [");
            for (int k = 0; k < 10; k++) {
                body.append(k == 0 ? "" : ",").append("{\"key\": \"user-").append(k).append("\", \"value\": {\"round\": ")
                        .append(round).append("}}");
            }
            assertEquals(200, http.post("/topics/profiles/partitions/0", "application/vnd.kafka.json.v2+json",
                    body.append("]}").toString()).status());
        }

        long deadline = System.nanoTime() + 60_000_000_000L;
        Map<Long, String> records = readAll(http);
        while (records.size() > 60 && System.nanoTime() < deadline) {
            Thread.sleep(300);
            records = readAll(http);
        }
        assertTrue(records.size() <= 60 && records.size() >= 10, "compacted from 200 records to " + records.size());
        Map<String, Integer> latest = latestRound(records);
        for (int k = 0; k < 10; k++) {
            assertEquals(19, latest.get("\"user-" + k + "\""), "newest value of user-" + k + " in " + records);
        }
        assertEquals(200, http.get("/topics/profiles/partitions/0/offsets").json().getJsonNumber("end_offset").longValue());

        server.stop();
        server.start();
        Map<Long, String> afterRestart = readAll(new Http(server));
        assertTrue(afterRestart.keySet().containsAll(records.keySet()) || afterRestart.size() <= records.size(),
                "nothing that should remain is lost");
        assertEquals(latest, latestRound(afterRestart));
    }

    /** offset -> "key|round" of every record. */
    private static Map<Long, String> readAll(Http http) {
        Map<Long, String> out = new LinkedHashMap<>();
        long offset = http.get("/topics/profiles/partitions/0/offsets").json().getJsonNumber("beginning_offset").longValue();
        while (offset < 200) {
            JsonArray batch = http.get("/topics/profiles/partitions/0/records?offset=" + offset).array();
            if (batch.isEmpty()) {
                break;
            }
            for (int i = 0; i < batch.size(); i++) {
                JsonObject r = batch.getJsonObject(i);
                out.put(r.getJsonNumber("offset").longValue(), "\"" + r.getString("key") + "\"|"
                        + r.getJsonObject("value").getInt("round"));
                offset = r.getJsonNumber("offset").longValue() + 1;
            }
        }
        return out;
    }

    private static Map<String, Integer> latestRound(Map<Long, String> records) {
        Map<String, Integer> latest = new HashMap<>();
        records.values().forEach(v -> {
            String[] parts = v.split("\\|");
            latest.merge(parts[0], Integer.parseInt(parts[1]), Math::max);
        });
        return latest;
    }
}
