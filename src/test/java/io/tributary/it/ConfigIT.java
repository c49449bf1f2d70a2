package io.tributary.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broker settings come from MicroProfile Config, and a bad one stops start-up naming the property. */
class ConfigIT {

    @Test
    void badValueStopsStartUpNamingTheProperty() throws Exception {
        try (LibertyServer server = new LibertyServer(Map.of("num.partitions", "many"))) {
            server.startNoWait();
            String expected = "Invalid value 'many' for broker property 'num.partitions'";
            long deadline = System.nanoTime() + 180_000_000_000L;
            String log = "";
            while (System.nanoTime() < deadline) {
                log = Files.exists(server.messagesLog()) ? Files.readString(server.messagesLog()) : "";
                if (log.contains(expected) && log.contains("CWWKF0011I")) {
                    break;
                }
                Thread.sleep(500);
            }
            assertTrue(log.contains(expected), "messages.log names the property:\n" + LibertyServer.tail(server.messagesLog(), 40));
            Http http = new Http(server);
            assertNotEquals(200, http.get("/health/ready").status());
            assertNotEquals(200, http.get("/v3/clusters").status());
        }
    }

    @Test
    void settingsFromBootstrapPropertiesApply() {
        try (LibertyServer server = new LibertyServer(Map.of("num.partitions", "5", "broker.id", "3",
                "auto.create.topics.enable", "true"))) {
            server.start();
            Http http = new Http(server);
            String cluster = http.clusterId();
            assertEquals(3, http.get("/v3/clusters/" + cluster + "/brokers").json().getJsonArray("data")
                    .getJsonObject(0).getInt("broker_id"));
            assertEquals(200, http.post("/topics/auto", "application/vnd.kafka.json.v2+json", "{\"records\":[{\"value\":1}]}").status());
            assertEquals(5, http.get("/v3/clusters/" + cluster + "/topics/auto").json().getInt("partitions_count"));
        }
    }

    @Test
    void autoCreationCanBeTurnedOff() {
        try (LibertyServer server = new LibertyServer(Map.of("auto.create.topics.enable", "false"))) {
            server.start();
            Http http = new Http(server);
            Http.Answer a = http.post("/topics/not-auto", "application/vnd.kafka.json.v2+json", "{\"records\":[{\"value\":1}]}");
            assertEquals(404, a.status());
            assertTrue(a.json().getString("message").contains("auto.create.topics.enable"), a.body());
        }
    }

    @Test
    void settingsFromEnvironmentVariablesApply() {
        try (LibertyServer server = new LibertyServer(Map.of()).setEnv("NUM_PARTITIONS", "4")) {
            server.start();
            Http http = new Http(server);
            assertEquals(200, http.post("/topics/from-env", "application/vnd.kafka.json.v2+json", "{\"records\":[{\"value\":1}]}").status());
            assertEquals(4, http.get("/topics/from-env/partitions").array().size());
        }
    }

    @Test
    void readinessSaysWhyWhenALogDirIsFull() throws Exception {
        try (LibertyServer server = new LibertyServer(Map.of("log.dir.min.free.bytes", Long.toString(Long.MAX_VALUE / 2)))) {
            server.startNoWait();
            Http http = new Http(server);
            long deadline = System.nanoTime() + 180_000_000_000L;
            Http.Answer started = null;
            while (System.nanoTime() < deadline) {
                try {
                    started = http.get("/health/started");
                    if (started.status() == 200) {
                        break;
                    }
                } catch (IllegalStateException notListeningYet) {
                    // retry
                }
                Thread.sleep(500);
            }
            assertEquals(200, started.status(), String.valueOf(started));
            Http.Answer ready = http.get("/health/ready");
            assertEquals(503, ready.status(), ready.body());
            assertTrue(ready.body().contains("is full"), ready.body());
            assertEquals(200, http.get("/health/live").status(), "a full disk is not cured by a restart");
        }
    }
}
