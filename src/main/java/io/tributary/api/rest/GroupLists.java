package io.tributary.api.rest;

import jakarta.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Joins the v3 consumer-group lists of several brokers into one. Each broker lists the groups it
 * coordinates; while a coordinator moves, two brokers can both list a group for a moment, and the
 * first list given (the asked broker's own) wins. The result is ordered by group id.
 *
 * <p>Stateless, thread-safe.
 */
final class GroupLists {

    private GroupLists() {
    }

    static List<JsonObject> merge(Collection<List<JsonObject>> lists) {
        Map<String, JsonObject> byId = new TreeMap<>();
        for (List<JsonObject> list : lists) {
            for (JsonObject g : list) {
                byId.putIfAbsent(g.getString("consumer_group_id", ""), g);
            }
        }
        return new ArrayList<>(byId.values());
    }
}
