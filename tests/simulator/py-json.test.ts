/**
 * The simulator writes JSON exactly like Python's json.dumps, which is what clients of a real
 * ComfyUI receive (spacing, float repr, ASCII escapes, key order).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PyFloat, dumps, orderedKeys, parseJson, pyRepr } from '../../lib/simulator/py-json.ts';

test('the recorded 391 KB object_info survives parse + dumps byte for byte', () => {
  const text = readFileSync(new URL('../fixtures/comfyui-0.8.0/object_info.json', import.meta.url), 'utf8');
  assert.equal(dumps(parseJson(text)), text);
});

test('floats print like Python repr, ints stay ints, big ints stay exact', () => {
  assert.equal(dumps([new PyFloat(0), new PyFloat(1), 1, 0.1, 1e-5, new PyFloat(1e16), 1.5e-7, 123456.789, -0.5]), '[0.0, 1.0, 1, 0.1, 1e-05, 1e+16, 1.5e-07, 123456.789, -0.5]');
  assert.equal(dumps(parseJson('[18446744073709551615, 5.000000000000001, 2.0]')), '[18446744073709551615, 5.000000000000001, 2.0]');
  assert.equal(dumps([Number.NaN, Number.POSITIVE_INFINITY]), '[NaN, Infinity]');
});

test('strings are ASCII-escaped with lowercase hex, separators are ", " and ": "', () => {
  assert.equal(dumps({ a: 'é "q" \\ \n\u0001', b: '😀', c: [] }), '{"a": "\\u00e9 \\"q\\" \\\\ \\n\\u0001", "b": "\\ud83d\\ude00", "c": []}');
});

test('dict keys keep insertion order even when they look like numbers', () => {
  const v = parseJson('{"10": 1, "9": 2, "b": 3, "a": 4}') as Record<string, unknown>;
  assert.deepEqual(orderedKeys(v), ['10', '9', 'b', 'a']);
  assert.equal(dumps(v), '{"10": 1, "9": 2, "b": 3, "a": 4}');
  assert.equal(dumps(new Map([['12345', 1], ['x', 2]])), '{"12345": 1, "x": 2}');
});

test('Python json.loads rejects what it rejects', () => {
  for (const bad of ['{"prompt": {not json', '', '[1,]', '{"a": 1} x', '"\u0001"']) assert.throws(() => parseJson(bad), SyntaxError);
});

test('repr() of values used in validation messages', () => {
  assert.equal(pyRepr(['JPEG', 'PNG']), "['JPEG', 'PNG']");
  assert.equal(pyRepr("it's"), '"it\'s"');
  assert.equal(pyRepr([null, true, new PyFloat(2)]), '[None, True, 2.0]');
});
