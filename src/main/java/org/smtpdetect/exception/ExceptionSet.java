package org.smtpdetect.exception;

import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.kql.FieldQueries;
import org.smtpdetect.kql.Predicate;
import org.smtpdetect.rule.Rule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Exception lists compiled for the rules a job runs, applied as Kibana applies them at each execution
 * (elastic-semantics.md section 6): an item excepts an event when all its entries hold; any applicable item
 * excepts it; an item whose {@code expire_time} is before the execution no longer applies. Entries compare
 * values as the field's type does in the rule core (the same predicates as KQL), over the same one-pass parse:
 * add {@link #fields()} to the parse schema and {@link #bind} to it.
 *
 * <p>A rule that names lists in {@code exceptions_list} gets only those (never {@code endpoint_list}, which Kibana
 * drops); a rule that names none gets every loaded list but {@code endpoint_list}. Not thread-safe (nested entries
 * keep a parser): one per task.
 */
public final class ExceptionSet {
    /** {@link #exceptedUntil}: no applicable item excepts the event. */
    public static final long NOT_EXCEPTED = Long.MIN_VALUE;
    /** Kibana inlines value lists of at most this many values; larger ones it applies after the search. */
    static final int MAX_VALUE_LIST_SIZE = 65_536;
    /** Kibana inlines at most this many {@code a-b} values of an {@code ip_range} list. */
    static final int MAX_IP_RANGE_DASH_VALUES = 200;
    /** Elastic Defend's lowercase-normalized copy of {@code host.os.name}, which os_types also match. */
    static final String CASELESS_OS_NAME = "host.os.name.caseless";

    private record Compiled(ExceptionItem item, ExceptionClause clause, long expiresAt) {}

    private final String digest;
    private final Compiled[][] byRule;
    private final Compiled[][] byRuleLatestExpiryFirst;
    private final Map<String, FieldType> fields;
    private final List<String> warnings;
    private final String summary;
    private FieldSchema boundTo;

    private ExceptionSet(String digest, Compiled[][] byRule, Map<String, FieldType> fields, List<String> warnings, String summary) {
        this.digest = digest;
        this.byRule = byRule;
        this.byRuleLatestExpiryFirst = new Compiled[byRule.length][];
        for (int r = 0; r < byRule.length; r++) {
            Compiled[] sorted = byRule[r].clone();
            Arrays.sort(sorted, Comparator.comparingLong(Compiled::expiresAt).reversed());
            byRuleLatestExpiryFirst[r] = sorted;
        }
        this.fields = Collections.unmodifiableMap(fields);
        this.warnings = List.copyOf(warnings);
        this.summary = summary;
    }

    /** No exceptions: nothing is excepted. */
    public static ExceptionSet none() {
        return new ExceptionSet(ExceptionSources.none().digest, new Compiled[0][], new LinkedHashMap<>(), List.of(), "no exception lists");
    }

    /**
     * Parses and compiles {@code sources} for {@code rules} (by index) with the field types of {@code types}.
     * Anything Kibana or Elasticsearch would refuse, or that the job cannot reproduce, fails naming the file, the
     * line and the field.
     */
    public static ExceptionSet compile(ExceptionSources sources, List<Rule> rules, FieldTypes types) {
        if (sources.isEmpty()) return none();
        Map<String, ExceptionList> lists = new LinkedHashMap<>();
        for (SourceText file : sources.files) {
            for (ExceptionList list : ExceptionFiles.parse(file.path, file.text)) {
                ExceptionList previous = lists.putIfAbsent(list.listId() + "\u0000" + list.namespaceType(), list);
                if (previous != null) {
                    throw new ExceptionFormatException(list.at() + ": list '" + list.listId() + "' is also defined at " + previous.at());
                }
            }
        }
        Map<String, ValueList> valueLists = new LinkedHashMap<>();
        for (SourceText t : sources.valueLists) valueLists.put(t.name, ValueList.parse(t.name, t.path, t.text));

        Compiler compiler = new Compiler(types, valueLists);
        Map<String, List<Compiled>> compiled = new LinkedHashMap<>();
        int items = 0;
        for (Map.Entry<String, ExceptionList> e : lists.entrySet()) {
            ExceptionList list = e.getValue();
            List<Compiled> out = new ArrayList<>();
            for (ExceptionItem item : list.items()) out.add(compiler.item(item));
            items += out.size();
            compiled.put(e.getKey(), out);
            if (list.listId().equals(ExceptionList.ENDPOINT_LIST_ID)) {
                compiler.warnings.add(list.at() + ": list 'endpoint_list' is Elastic Defend's endpoint exception list; Kibana never"
                        + " adds it to a rule's query, so it is not applied");
            }
        }

        Compiled[][] byRule = new Compiled[rules.size()][];
        for (int r = 0; r < rules.size(); r++) {
            Rule rule = rules.get(r);
            List<Compiled> applied = new ArrayList<>();
            if (rule.exceptionsList().isEmpty()) {
                compiled.forEach((key, cs) -> {
                    if (!key.startsWith(ExceptionList.ENDPOINT_LIST_ID + "\u0000")) applied.addAll(cs);
                });
            } else {
                for (Rule.ExceptionListRef ref : rule.exceptionsList()) {
                    if (ref.listId().equals(ExceptionList.ENDPOINT_LIST_ID)) continue;
                    List<Compiled> cs = compiled.get(ref.listId() + "\u0000" + ref.namespaceType());
                    if (cs == null) {
                        compiler.warnings.add("rule " + rule.ruleId() + " (" + rule.name() + ") names exception list '" + ref.listId()
                                + "' (namespace " + ref.namespaceType() + ") in exceptions_list, which no exceptions file holds:"
                                + " the rule runs without it");
                    } else {
                        applied.addAll(cs);
                    }
                }
            }
            byRule[r] = applied.toArray(new Compiled[0]);
        }
        String summary = lists.size() + (lists.size() == 1 ? " list, " : " lists, ") + items + (items == 1 ? " item, " : " items, ")
                + valueLists.size() + (valueLists.size() == 1 ? " value list" : " value lists");
        return new ExceptionSet(sources.digest, byRule, compiler.fields, compiler.warnings, summary);
    }

    /** The digest of the sources this set was compiled from ({@link ExceptionSources#digest}). */
    public String digest() {
        return digest;
    }

    /** The fields the entries read from the event itself (nested fields are read per object). */
    public Map<String, FieldType> fields() {
        return fields;
    }

    /** Binds the entries to the schema events are parsed with; it must contain {@link #fields()}. */
    public synchronized ExceptionSet bind(FieldSchema schema) {
        if (boundTo != schema) {
            for (Compiled[] cs : byRule) {
                for (Compiled c : cs) c.clause.bind(schema);
            }
            boundTo = schema;
        }
        return this;
    }

    /** True when some item applies to rule {@code rule} (by its index in the rules compiled for). */
    public boolean appliesTo(int rule) {
        return rule < byRule.length && byRule[rule].length > 0;
    }

    /**
     * The first item (in file order) that applies to the execution at {@code executionTime} (epoch millis) and
     * excepts the event, or null. {@code data[offset, offset + length)} is the raw event, read again only for
     * nested entries.
     */
    public ExceptionItem match(int rule, ParsedEvent event, byte[] data, int offset, int length, long executionTime) {
        if (!appliesTo(rule)) return null;
        ExceptionClause.Document d = document(event, data, offset, length);
        for (Compiled c : byRule[rule]) {
            if (c.expiresAt >= executionTime && c.clause.holds(d)) return c.item;
        }
        return null;
    }

    /**
     * The latest execution time at which an item excepts the event: the latest {@code expire_time} among the
     * items that match it, {@link Long#MAX_VALUE} when one of them never expires, {@link #NOT_EXCEPTED} when none
     * matches. An execution at T excepts the event exactly when {@code T <= exceptedUntil}.
     */
    public long exceptedUntil(int rule, ParsedEvent event, byte[] data, int offset, int length) {
        if (!appliesTo(rule)) return NOT_EXCEPTED;
        ExceptionClause.Document d = document(event, data, offset, length);
        for (Compiled c : byRuleLatestExpiryFirst[rule]) {
            if (c.clause.holds(d)) return c.expiresAt;
        }
        return NOT_EXCEPTED;
    }

    private ExceptionClause.Document document(ParsedEvent event, byte[] data, int offset, int length) {
        if (event.isError()) throw new IllegalArgumentException("not a document: " + event.error());
        if (event.schema() != boundTo) throw new IllegalStateException("exceptions not bound to the event's schema");
        return new ExceptionClause.Document(event, data, offset, length);
    }

    /** Items that can never match, empty value lists and lists no rule gets: one line each, for the log. */
    public List<String> warnings() {
        return warnings;
    }

    /** E.g. {@code 2 lists, 5 items, 1 value list}. */
    public String summary() {
        return summary;
    }

    @Override
    public String toString() {
        return "ExceptionSet{" + summary + ", digest=" + digest.substring(0, 12) + "}";
    }

    /** Turns entries into clauses, collecting the fields read and the warnings. */
    private static final class Compiler {
        private final FieldTypes types;
        private final Map<String, ValueList> valueLists;
        private final Map<String, String> valueListTypes = new LinkedHashMap<>();
        final Map<String, FieldType> fields = new LinkedHashMap<>();
        final List<String> warnings = new ArrayList<>();

        Compiler(FieldTypes types, Map<String, ValueList> valueLists) {
            this.types = types;
            this.valueLists = valueLists;
        }

        /** A field as the clauses read it: the slot's field, its type, and whether its normalizer lowercases. */
        private record Field(String name, FieldType type, boolean lowercase) {}

        /** What one entry compiles to, and whether it can never hold or always holds. */
        private record Compiled1(ExceptionClause clause, String never, String always) {}

        Compiled item(ExceptionItem item) {
            List<ExceptionClause> clauses = new ArrayList<>();
            List<String> never = new ArrayList<>();
            for (Entry e : item.entries()) {
                Compiled1 c = entry(e);
                clauses.add(c.clause);
                if (c.never != null) never.add(c.never);
                if (c.always != null) warnings.add(e.at() + ": " + c.always);
            }
            if (!item.osTypes().isEmpty()) {
                // Kibana ORs (host.os.type:os AND entries) with (host.os.name.caseless:os AND entries) per os.
                Field type = field("host.os.type", item.at() + " os_types", null);
                Field name = field(CASELESS_OS_NAME, item.at() + " os_types", null);
                remember(type);
                remember(name);
                clauses.add(0, new ExceptionClause.Fields(FieldQueries.anyOf(List.of(
                        FieldQueries.terms(type.name, type.type, item.osTypes()),
                        FieldQueries.lowercaseTerms(name.name, item.osTypes())))));
            }
            if (!never.isEmpty()) {
                warnings.add(item.at() + " (" + item.name() + ") can never match: " + String.join("; ", never)
                        + ". Kibana keeps such an item; it excepts nothing");
            }
            long expiresAt = item.expireTime() == null ? Long.MAX_VALUE : item.expireTime().toEpochMilli();
            return new Compiled(item, new ExceptionClause.AllOf(clauses), expiresAt);
        }

        private Compiled1 entry(Entry e) {
            if (e instanceof Entry.Nested n) return nested(n);
            Entry.Operator op = operator(e);
            Field f = field(e.field(), e.at(), null);
            Compiled1 included;
            if (e instanceof Entry.InList l) {
                included = list(l, f);
            } else {
                Predicate p = value(e, f, e.field());
                remember(f);
                included = new Compiled1(new ExceptionClause.Fields(p),
                        FieldQueries.isNever(p) ? e.field() + " is " + describe(e) + ", which Elasticsearch matches in no document" : null, null);
            }
            if (op == Entry.Operator.INCLUDED) return included;
            return new Compiled1(included.always != null ? included.clause : new ExceptionClause.Not(included.clause), null, included.always);
        }

        /** A match, match_any, wildcard or exists entry on field {@code f}, named {@code name} in the schema it runs on. */
        private static Entry.Operator operator(Entry e) {
            if (e instanceof Entry.Match m) return m.operator();
            if (e instanceof Entry.MatchAny m) return m.operator();
            if (e instanceof Entry.Wildcard w) return w.operator();
            if (e instanceof Entry.Exists x) return x.operator();
            if (e instanceof Entry.InList l) return l.operator();
            return Entry.Operator.INCLUDED; // nested entries have none
        }

        /** A match, match_any, wildcard or exists entry on field {@code f}, named {@code name} in the schema it runs on. */
        private Predicate value(Entry e, Field f, String name) {
            try {
                if (e instanceof Entry.Match m) {
                    return f.lowercase ? FieldQueries.lowercaseTerms(f.name, List.of(m.value())) : FieldQueries.terms(name, f.type, List.of(m.value()));
                }
                if (e instanceof Entry.MatchAny m) {
                    return f.lowercase ? FieldQueries.lowercaseTerms(f.name, m.values()) : FieldQueries.terms(name, f.type, m.values());
                }
                if (e instanceof Entry.Wildcard w) {
                    return f.lowercase ? FieldQueries.lowercaseWildcard(f.name, w.value()) : FieldQueries.wildcard(name, f.type, w.value());
                }
                if (e instanceof Entry.Exists) return FieldQueries.exists(f.lowercase ? f.name : name);
                throw new IllegalStateException(e.toString());
            } catch (FieldQueries.InvalidValueException invalid) {
                throw new ExceptionFormatException(e.at() + " field 'value': " + invalid.getMessage()
                        + " (Elasticsearch rejects the whole search)");
            }
        }

        private static String describe(Entry e) {
            if (e instanceof Entry.Match m) return "'" + m.value() + "'";
            if (e instanceof Entry.MatchAny m) return "one of " + m.values();
            return e.toString();
        }

        private Compiled1 list(Entry.InList l, Field f) {
            String previousType = valueListTypes.putIfAbsent(l.listId(), l.listType());
            if (previousType != null && !previousType.equals(l.listType())) {
                throw new ExceptionFormatException(l.at() + " field 'list.type': value list '" + l.listId() + "' is used as "
                        + previousType + " elsewhere and as " + l.listType() + " here");
            }
            ValueList values = valueLists.get(l.listId());
            if (values == null) throw new IllegalStateException("value list " + l.listId() + " was not read");
            if (values.values().size() > MAX_VALUE_LIST_SIZE) {
                throw new ExceptionFormatException(values.path() + ": value list '" + l.listId() + "' holds " + values.values().size()
                        + " values; Kibana inlines at most " + MAX_VALUE_LIST_SIZE + " into the query and applies larger lists after the"
                        + " search with different semantics, which the job does not reproduce (used by " + l.at() + ")");
            }
            remember(f);
            if (!l.listType().equals("ip_range")) {
                if (values.values().isEmpty()) {
                    return new Compiled1(new ExceptionClause.Fields(FieldQueries.anyOf(List.of())), "value list '" + l.listId()
                            + "' is empty (a terms query with no values matches no document)", null);
                }
                return new Compiled1(new ExceptionClause.Fields(listTerms(l, f, values, values.values(), 0)), null, null);
            }
            if (f.lowercase) throw new ExceptionFormatException(l.at() + " field 'field': ip_range value lists on " + CASELESS_OS_NAME + " are not supported");
            List<Predicate> clauses = new ArrayList<>();
            List<String> blocks = new ArrayList<>();
            int firstBlock = -1;
            int dashed = 0;
            for (int i = 0; i < values.values().size(); i++) {
                String v = values.values().get(i);
                if (v.indexOf('-') >= 0) {
                    // Kibana: const [gte, lte] = value.split('-'); a range query with both bounds inclusive.
                    String[] parts = v.split("-", -1);
                    try {
                        clauses.add(FieldQueries.between(f.name, f.type, parts[0], parts[1]));
                    } catch (FieldQueries.InvalidValueException invalid) {
                        throw listValueError(l, values, i, invalid);
                    }
                    dashed++;
                } else {
                    if (firstBlock < 0) firstBlock = i;
                    blocks.add(v);
                    if (v.indexOf('/') < 0) dashed++; // Kibana stores a single address as the range a-a
                }
            }
            if (dashed > MAX_IP_RANGE_DASH_VALUES) {
                throw new ExceptionFormatException(values.path() + ": ip_range value list '" + l.listId() + "' holds " + dashed
                        + " ranges or single addresses; Kibana inlines at most " + MAX_IP_RANGE_DASH_VALUES + " into the query and applies"
                        + " the list after the search with different semantics, which the job does not reproduce (used by " + l.at() + ")");
            }
            if (!blocks.isEmpty()) clauses.add(listTerms(l, f, values, blocks, firstBlock));
            if (clauses.isEmpty()) {
                return new Compiled1(new ExceptionClause.Always(), null, "ip_range value list '" + l.listId() + "' is empty: as in Kibana,"
                        + " its clause (a bool query with no clauses) matches every event, whichever the operator");
            }
            return new Compiled1(new ExceptionClause.Fields(FieldQueries.anyOf(clauses)), null, null);
        }

        private Predicate listTerms(Entry.InList l, Field f, ValueList values, List<String> terms, int offset) {
            try {
                return f.lowercase ? FieldQueries.lowercaseTerms(f.name, terms) : FieldQueries.terms(f.name, f.type, terms);
            } catch (FieldQueries.InvalidValueException invalid) {
                int index = values.values().indexOf(terms.get(Math.max(0, invalid.index())));
                throw listValueError(l, values, index < 0 ? offset : index, invalid);
            }
        }

        private static ExceptionFormatException listValueError(Entry.InList l, ValueList values, int index,
                                                               FieldQueries.InvalidValueException invalid) {
            return new ExceptionFormatException(values.at(index) + ": value '" + values.values().get(index) + "' of "
                    + l.listType() + " value list '" + l.listId() + "': " + invalid.getMessage()
                    + " (Elasticsearch rejects the whole search; used by " + l.at() + ")");
        }

        private Compiled1 nested(Entry.Nested n) {
            String path = n.field();
            if (!types.isNested(path)) {
                throw new ExceptionFormatException(n.at() + " field 'field': [" + path + "] is not mapped as nested in the ECS field"
                        + " type table (kql/field-types.tsv); Elasticsearch rejects a nested query on it");
            }
            Map<String, FieldType> objectFields = new LinkedHashMap<>();
            List<Predicate> inner = new ArrayList<>();
            List<String> never = new ArrayList<>();
            for (Entry e : n.entries()) {
                Field f = field(path + "." + e.field(), e.at(), path);
                objectFields.put(e.field(), f.type);
                Predicate p = value(e, f, e.field());
                Entry.Operator op = operator(e);
                if (FieldQueries.isNever(p) && op == Entry.Operator.INCLUDED) {
                    never.add(path + "." + e.field() + " is " + describe(e) + ", which Elasticsearch matches in no document");
                }
                inner.add(op == Entry.Operator.INCLUDED ? p : FieldQueries.not(p));
            }
            return new Compiled1(new ExceptionClause.Nested(path, FieldQueries.allOf(inner), FieldSchema.of(objectFields)),
                    never.isEmpty() ? null : String.join("; ", never), null);
        }

        private Field field(String name, String at, String nestedParent) {
            if (name.equals(CASELESS_OS_NAME) && nestedParent == null) {
                FieldType t = types.typeOf("host.os.name").orElseThrow(() -> new IllegalStateException("ECS table lacks host.os.name"));
                return new Field("host.os.name", t, true);
            }
            FieldType type = types.typeOf(name).orElseThrow(() -> new ExceptionFormatException(at + " field 'field': [" + name
                    + "] has no known type (it is not in the field type table, kql/field-types.tsv; give it one with --field-types FILE)"));
            Optional<String> under = types.nestedPathOf(name);
            if (nestedParent == null && under.isPresent()) {
                throw new ExceptionFormatException(at + " field 'field': [" + name + "] lies under the nested field [" + under.get()
                        + "]; Elasticsearch matches it only inside a nested entry on " + under.get());
            }
            if (nestedParent != null && !under.equals(Optional.of(nestedParent))) {
                throw new ExceptionFormatException(at + " field 'field': [" + name + "] is not a field of the nested objects of ["
                        + nestedParent + "]");
            }
            return new Field(name, type, false);
        }

        private void remember(Field f) {
            fields.putIfAbsent(f.name, f.type);
        }
    }
}
