package org.smtpdetect.exception;

import java.time.Instant;
import java.util.List;

/**
 * An exception item: its entries are AND-ed; it excepts the events that match all of them.
 *
 * @param expireTime from which executions on the item no longer applies (Kibana drops it when
 *                   {@code expire_time < execution start}); null: never expires
 * @param osTypes    Kibana's {@code os_types}; non-empty adds {@code host.os.type} or {@code host.os.name.caseless}
 *                   being one of them
 * @param at         where the item is written, for messages
 */
public record ExceptionItem(String listId, String namespaceType, String itemId, String id, String name,
                            Instant expireTime, List<String> osTypes, List<Entry> entries, String at) {
    /** {@code list_id/item_id "name"}, as {@code check --explain} and logs name an item. */
    public String label() {
        return listId + "/" + itemId + " \"" + name + "\"";
    }
}
