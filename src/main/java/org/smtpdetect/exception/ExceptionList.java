package org.smtpdetect.exception;

import java.util.List;

/** An exception list (Kibana's list object or detection-rules' {@code [exceptions.container]}) with its items. */
public record ExceptionList(String listId, String namespaceType, String id, String name, String type, String at,
                            List<ExceptionItem> items) {
    /** Elastic Defend's endpoint exceptions list, which Kibana never adds to a rule's query. */
    public static final String ENDPOINT_LIST_ID = "endpoint_list";
}
