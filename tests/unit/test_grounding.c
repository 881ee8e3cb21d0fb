/*  cw_grounding: which backticked identifiers count, how they are found in the target,
    and the ratio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_grounding.h"
#include "cw_value.h"

static cw_value_t *s_target(void)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "doc_type", "function_doc");
    cw_map_set_str(t, "repo", "inventory");
    cw_map_set_str(t, "file", "inventory/stock.py");
    cw_map_set_str(t, "language", "python");
    cw_map_set_str(t, "name", "reorder");
    cw_map_set_str(t, "class", "Stock");
    cw_map_set_str(t, "source",
                   "def reorder(self, items, threshold):\n"
                   "    low = [i for i in items if i.level < threshold]\n"
                   "    return self.supplier.order(low)\n");
    cw_value_t *calls = cw_value_new_array();
    cw_array_push_str(calls, "supplier.order");
    cw_map_set(t, "calls", calls);
    /* nested facts count too */
    cw_value_t *facts = cw_value_new_map();
    cw_value_t *fields = cw_value_new_array();
    cw_array_push_str(fields, "warehouse_id");
    cw_map_set(facts, "fields", fields);
    cw_map_set(t, "facts", facts);
    return t;
}

static cw_grounding_t s_check(const char *doc)
{
    cw_value_t *t = s_target();
    cw_grounding_t g;
    assert_int_equal(cw_grounding_check(t, doc, &g), 0);
    cw_value_destroy(&t);
    return g;
}

static void test_grounded_document(void **state)
{
    cw_grounding_t g = s_check("`Stock.reorder(items, threshold)` returns the `items` whose "
                               "`level` is below `threshold`, and orders them through "
                               "`self.supplier.order()`. It lives in `stock.py` and uses "
                               "`warehouse_id`. Returns a `list` or `None`.");
    /* Stock.reorder, items, level, threshold, self.supplier.order, stock.py, warehouse_id;
       list and None are language words */
    assert_int_equal(g.checked, 7);
    assert_int_equal(g.grounded, 7);
    assert_true(g.ratio == 1.0);
    assert_string_equal(g.missing, "");
}

static void test_invented_identifiers(void **state)
{
    cw_grounding_t g = s_check("`reorder` calls `frobnicate_widgets` and "
                               "`QuantumFluxCapacitor.engage()`; then `reorder` again, and "
                               "`Stock.restock` (which does not exist).");
    assert_int_equal(g.checked, 4); /* reorder counted once */
    assert_int_equal(g.grounded, 1);
    assert_true(g.ratio > 0.24 && g.ratio < 0.26);
    assert_non_null(strstr(g.missing, "`frobnicate_widgets`"));
    assert_non_null(strstr(g.missing, "`QuantumFluxCapacitor.engage`"));
    assert_non_null(strstr(g.missing, "`Stock.restock`"));
}

static void test_what_is_not_counted(void **state)
{
    /* fenced code, expressions, numbers, paths, big-O, strings and keywords are skipped */
    cw_grounding_t g = s_check("```python\nmade_up_helper()\n```\n"
                               "Complexity is `O(n log n)`; `i.level < threshold` filters; "
                               "`42`, `\"text\"`, `inventory/stock.py`, `self`, `True`, "
                               "`async`, ``reorder`` and `` `odd` ``.\n"
                               "~~~\nanother_made_up()\n~~~\n");
    assert_int_equal(g.checked, 1); /* only reorder */
    assert_int_equal(g.grounded, 1);
    /* nothing checked at all: fully grounded */
    g = s_check("A plain paragraph without code spans.");
    assert_int_equal(g.checked, 0);
    assert_true(g.ratio == 1.0);
    /* an unclosed backtick does not swallow the rest */
    g = s_check("It uses a stray ` here\nand `threshold` there.");
    assert_int_equal(g.checked, 1);
    assert_int_equal(g.grounded, 1);
}

static void test_paths_and_separators(void **state)
{
    cw_value_t *t = cw_value_new_map();
    cw_map_set_str(t, "source",
                   "impl Store { fn get(&self) -> Option<Item> { self.map.get() } }\n"
                   "ptr->next = node; std::move(x);");
    cw_grounding_t g;
    assert_int_equal(cw_grounding_check(t,
                                        "`Store::get`, `ptr->next`, `std::move`, "
                                        "`println!`, `Store::put`",
                                        &g),
                     0);
    assert_int_equal(g.checked, 5);
    assert_int_equal(g.grounded, 3); /* println (not in the source) and put are not */
    assert_null(strstr(g.missing, "Store::get"));
    assert_non_null(strstr(g.missing, "`Store::put`"));
    cw_value_destroy(&t);
    /* case matters: identifiers are exact */
    t = cw_value_new_map();
    cw_map_set_str(t, "source", "def parse(): pass");
    assert_int_equal(cw_grounding_check(t, "`Parse` and `parse`", &g), 0);
    assert_int_equal(g.checked, 2);
    assert_int_equal(g.grounded, 1);
    cw_value_destroy(&t);
}

static void test_missing_list_is_bounded(void **state)
{
    char doc[8192] = "";
    for (int i = 0; i < 200; i++) {
        char w[40];
        snprintf(w, sizeof w, "`invented_name_%03d` ", i);
        strcat(doc, w);
    }
    cw_grounding_t g = s_check(doc);
    assert_int_equal(g.checked, 200);
    assert_int_equal(g.grounded, 0);
    assert_true(g.ratio == 0.0);
    assert_true(strlen(g.missing) < sizeof g.missing);
    assert_non_null(strstr(g.missing, "..."));
    assert_int_equal(cw_grounding_check(NULL, NULL, &g), 0);
    assert_true(g.ratio == 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grounded_document),       cmocka_unit_test(test_invented_identifiers),
        cmocka_unit_test(test_what_is_not_counted),     cmocka_unit_test(test_paths_and_separators),
        cmocka_unit_test(test_missing_list_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
