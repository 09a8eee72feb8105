package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smtpdetect.event.EventParser;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldTypes;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A rule's query-bar filters applied as Kibana's buildEsQuery applies them (the DSL checked on real nodes too). */
class FilterCompilerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static boolean matches(String filter, String event) throws Exception {
        List<JsonNode> filters = new ArrayList<>();
        for (JsonNode f : JSON.readTree("[" + filter + "]")) filters.add(f);
        CompiledQuery q = KqlCompiler.compile("event.category:process", filters, FieldTypes.bundled());
        FieldSchema schema = FieldSchema.of(q.fields());
        q.bind(schema);
        return q.matches(new EventParser(schema).parse(event));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // the prebuilt rules' filters: negated case-insensitive wildcards on file.path ('?' one character, '\\' escapes)
        "{'meta':{'negate':true},'query':{'wildcard':{'file.path':{'case_insensitive':true,'value':'?:\\\\\\\\ProgramData\\\\\\\\*'}}}} | {'file':{'path':'C:\\\\programdata\\\\x'}} | false",
        "{'meta':{'negate':true},'query':{'wildcard':{'file.path':{'case_insensitive':true,'value':'?:\\\\\\\\ProgramData\\\\\\\\*'}}}} | {'file':{'path':'C:\\\\Users\\\\x'}} | true",
        "{'meta':{'negate':true},'query':{'wildcard':{'file.path':{'case_insensitive':true,'value':'?:\\\\\\\\ProgramData\\\\\\\\*'}}}} | {} | true",
        // a single backslash escapes the next character: this pattern can never match a Windows path
        "{'meta':{'negate':true},'query':{'wildcard':{'file.path':{'case_insensitive':true,'value':'C:\\\\Program Files\\\\x*'}}}} | {'file':{'path':'C:\\\\Program Files\\\\x.ps1'}} | true",
        // phrase, phrases, exists, range, and a disabled filter
        "{'meta':{},'query':{'match_phrase':{'process.name':'cmd.exe'}}}                  | {'process':{'name':'cmd.exe'}} | true",
        "{'meta':{},'query':{'match_phrase':{'process.name':{'query':'cmd.exe'}}}}        | {'process':{'name':'CMD.exe'}} | false",
        "{'meta':{'type':'phrases'},'query':{'bool':{'should':[{'match_phrase':{'process.name':'a'}},{'match_phrase':{'process.name':'b'}}],'minimum_should_match':1}}} | {'process':{'name':'b'}} | true",
        "{'meta':{'negate':true},'query':{'exists':{'field':'process.parent.name'}}}      | {'process':{'parent':{'name':'x'}}} | false",
        "{'meta':{},'exists':{'field':'process.parent.name'}}                             | {'process':{'parent':{'name':'x'}}} | true",
        "{'meta':{},'query':{'range':{'process.pid':{'gte':10,'lt':20}}}}                 | {'process':{'pid':[5,25]}} | false",
        "{'meta':{},'query':{'range':{'process.pid':{'gte':10,'lt':20}}}}                 | {'process':{'pid':[5,15]}} | true",
        "{'meta':{},'range':{'process.pid':{'gte':10,'lt':20}}}                           | {'process':{'pid':15}} | true",
        "{'meta':{'disabled':true},'query':{'match_phrase':{'process.name':'x'}}}         | {'process':{'name':'y'}} | true",
    })
    void filtersApplyWithTheQuery(String filter, String event, boolean expected) throws Exception {
        String e = "{'event':{'category':'process'}," + event.substring(1);
        if (event.equals("{}")) e = "{'event':{'category':'process'}}";
        assertThat(matches(filter.replace('\'', '"'), e.replace('\'', '"'))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{'meta':{},'query':{'query_string':{'query':'x'}}}                  | filters[0] has a query_string query, which the rule core does not evaluate",
        "{'meta':{},'query':{'bool':{'should':[],'minimum_should_match':2}}} | filters[0] has minimum_should_match 2",
        "{'meta':{},'query':{'match_phrase':{'no.such.field':'x'}}}          | filters[0] names field [no.such.field], which has no type",
        "{'meta':{},'query':{'wildcard':{'process.pid':'1*'}}}              | filters[0] has a wildcard query on LONG field [process.pid]",
    })
    void aFilterThatCannotBeHonouredFailsWithTheReason(String filter, String message) {
        assertThatThrownBy(() -> matches(filter.replace('\'', '"'), "{}")).isInstanceOf(KqlSyntaxException.class).hasMessageContaining(message);
    }

    @org.junit.jupiter.api.Test
    void theRulesQueryIsBuildEsQuerysBoolWithTheFilters() throws Exception {
        List<JsonNode> filters = List.of(JSON.readTree("{\"meta\":{\"negate\":true},\"query\":{\"exists\":{\"field\":\"process.parent.name\"}}}"),
                JSON.readTree("{\"meta\":{},\"query\":{\"match_phrase\":{\"process.name\":\"a\"}}}"));
        String dsl = KqlCompiler.compile("event.category:process", filters, FieldTypes.bundled()).elasticsearchQuery().toString();
        assertThat(dsl).isEqualTo("{\"bool\":{\"must\":[],\"filter\":[{\"bool\":{\"should\":[{\"match\":{\"event.category\":\"process\"}}],"
                + "\"minimum_should_match\":1}},{\"match_phrase\":{\"process.name\":\"a\"}}],\"should\":[],"
                + "\"must_not\":[{\"exists\":{\"field\":\"process.parent.name\"}}]}}");
    }
}
