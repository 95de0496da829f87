package dev.pgbackup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Which entries a table-only restore takes, on the table of contents pg_restore 15 prints (--list --verbose) for the
 * tests' seed schema plus a schema with an enum, an identity column, a trigger, a comment and foreign keys, and a
 * table that inherits from another.
 */
class TableSelectionTest {
    static final String LISTING = """
;
; Archive created at 2026-12-05 08:32:50 UTC
;     dbname: scratch_list
;     TOC Entries: 43
;     Compression: -1
;     Dump Version: 1.14-0
;     Format: CUSTOM
;     Integer: 4 bytes
;     Offset: 8 bytes
;     Dumped from database version: 15.19
;     Dumped by pg_dump version: 15.18
;
;
; Selected TOC Entries:
;
3313; 0 0 ENCODING - ENCODING 
3314; 0 0 STDSTRINGS - STDSTRINGS 
3315; 0 0 SEARCHPATH - SEARCHPATH 
3316; 1262 16385 DATABASE - scratch_list app_owner
6; 2615 16422 SCHEMA - sales app_owner
858; 1247 16424 TYPE sales mood app_owner
;	depends on: 6
224; 1255 16386 FUNCTION public gen_random_bytes_compat(integer) app_owner
225; 1255 16421 FUNCTION public order_total(bigint) app_owner
226; 1255 16441 FUNCTION public trg() app_owner
217; 1259 16399 SEQUENCE public invoice_numbers app_owner
219; 1259 16401 TABLE public orders app_owner
;	depends on: 217
220; 1259 16417 VIEW public big_orders app_owner
;	depends on: 219 219 219
216; 1259 16388 TABLE public customers app_owner
223; 1259 16443 TABLE public child app_owner
;	depends on: 216
215; 1259 16387 SEQUENCE public customers_id_seq app_owner
;	depends on: 216
3317; 0 0 SEQUENCE OWNED BY public customers_id_seq app_owner
;	depends on: 215
218; 1259 16400 SEQUENCE public orders_id_seq app_owner
;	depends on: 219
3318; 0 0 SEQUENCE OWNED BY public orders_id_seq app_owner
;	depends on: 218
222; 1259 16430 TABLE sales t app_owner
;	depends on: 858 6
3319; 0 0 COMMENT sales TABLE t app_owner
;	depends on: 222
221; 1259 16429 SEQUENCE sales t_id_seq app_owner
;	depends on: 222 6
3144; 2604 16446 DEFAULT public child id app_owner
;	depends on: 223 215
3145; 2604 16447 DEFAULT public child created_at app_owner
;	depends on: 223
3140; 2604 16391 DEFAULT public customers id app_owner
;	depends on: 215 216 216
3142; 2604 16404 DEFAULT public orders id app_owner
;	depends on: 218 219 219
3310; 0 16443 TABLE DATA public child app_owner
;	depends on: 223
3304; 0 16388 TABLE DATA public customers app_owner
;	depends on: 216
3307; 0 16401 TABLE DATA public orders app_owner
;	depends on: 219
3309; 0 16430 TABLE DATA sales t app_owner
;	depends on: 222
3320; 0 0 SEQUENCE SET public customers_id_seq app_owner
;	depends on: 215
3321; 0 0 SEQUENCE SET public invoice_numbers app_owner
;	depends on: 217
3322; 0 0 SEQUENCE SET public orders_id_seq app_owner
;	depends on: 218
3323; 0 0 SEQUENCE SET sales t_id_seq app_owner
;	depends on: 221
3147; 2606 16398 CONSTRAINT public customers customers_email_key app_owner
;	depends on: 216
3149; 2606 16396 CONSTRAINT public customers customers_pkey app_owner
;	depends on: 216
3153; 2606 16409 CONSTRAINT public orders orders_pkey app_owner
;	depends on: 219
3156; 2606 16434 CONSTRAINT sales t t_pkey app_owner
;	depends on: 222
3150; 1259 16415 INDEX public orders_customer_idx app_owner
;	depends on: 219
3151; 1259 16416 INDEX public orders_details_idx app_owner
;	depends on: 219
3154; 1259 16440 INDEX sales t_m app_owner
;	depends on: 222
3159; 2620 16442 TRIGGER sales t t_trg app_owner
;	depends on: 222 226
3157; 2606 16410 FK CONSTRAINT public orders orders_customer_id_fkey app_owner
;	depends on: 219 216 3149
3158; 2606 16435 FK CONSTRAINT sales t t_c_fkey app_owner
;	depends on: 222 216 3149
""";

    static List<String> ids(TableSelection.Chosen chosen) {
        Pattern id = Pattern.compile("^(\\d+);");
        return chosen.lines().stream().map(l -> {
            Matcher m = id.matcher(l);
            m.find();
            return m.group(1);
        }).toList();
    }

    @Test
    void aTableComesWithItsRowsSequencesDefaultsIndexesAndConstraintsButNotWhatReferencesOtherTables() {
        TableSelection.Chosen chosen = TableSelection.parse(LISTING).choose(List.of("public.orders"));

        // settings; the sequence its inline default uses; the table; its own sequence and OWNED BY; its id default;
        // its rows; both sequences' positions; its primary key and two indexes. Not: the FK to customers (not
        // restored), the view on it, customers, functions nothing needs.
        assertEquals(List.of("3313", "3314", "3315", "217", "219", "218", "3318", "3142", "3307", "3321", "3322",
                "3153", "3150", "3151"), ids(chosen));
        assertEquals(List.of("public.orders"), chosen.tables());
        // what a parallel restore's progress counts: the ids its use-list names
        assertEquals(ids(chosen).stream().map(Integer::valueOf).collect(java.util.stream.Collectors.toSet()),
                TableSelection.dumpIds(chosen.useList().lines().toList()));
    }

    @Test
    void aUseListsIdsAreReadAsPgRestoreReadsThem() {
        assertEquals(java.util.Set.of(3313, 12, 7, 42, 219), TableSelection.dumpIds(List.of(
                "3313; 0 0 ENCODING - ENCODING", ";\tdepends on: 99", "", "   ", "12", "  7 ; indented",
                "0042x; leading zeros and what follows the number", "0; not an id", "x; not an id",
                "1234567890; past any archive", "219; 1259 16416 TABLE public orders app_owner")));
    }

    @Test
    void aForeignKeyComesWhenTheTableItReferencesIsRestoredToo() {
        List<String> ids = ids(TableSelection.parse(LISTING).choose(List.of("public.orders", "public.customers")));

        assertTrue(ids.contains("3157"), "orders_customer_id_fkey: " + ids);
        assertTrue(ids.contains("3149") && ids.contains("3147"), "customers' constraints: " + ids);
        assertTrue(!ids.contains("220") && !ids.contains("223"), "no view, no other table: " + ids);
    }

    @Test
    void aSchemaBringsItsTablesWithTheirTypesIdentityTriggerFunctionAndComment() {
        TableSelection.Chosen chosen = TableSelection.parse(LISTING).choose(List.of("sales.*"));

        assertEquals(List.of("3313", "3314", "3315", "6", "858", "226", "222", "3319", "221", "3309", "3323", "3156",
                "3154", "3159"), ids(chosen));
        assertEquals(List.of("sales.t"), chosen.tables());
    }

    @Test
    void namesTheBackupLacksAreRefusedNamingThem() {
        TableSelection.Refused refused = assertThrows(TableSelection.Refused.class,
                () -> TableSelection.parse(LISTING).choose(List.of("public.orders", "public.ordrs", "nope.*",
                        "public.big_orders")));

        assertEquals(
                "the backup has no table public.ordrs, nope.*, public.big_orders (names are as the database stores "
                        + "them: schema.table, lower-case unless created quoted)",
                refused.getMessage());
    }

    @Test
    void aTableThatInheritsFromAnotherNeedsItNamedToo() {
        TableSelection.Refused refused = assertThrows(TableSelection.Refused.class,
                () -> TableSelection.parse(LISTING).choose(List.of("public.child")));

        assertEquals("the table public.child needs TABLE public.customers, which is not among the tables asked for: "
                + "name it too", refused.getMessage());
        assertTrue(ids(TableSelection.parse(LISTING).choose(List.of("public.child", "public.customers")))
                .contains("3310"));
    }
}
