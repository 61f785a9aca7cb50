'use strict';
// Account isolation: account B's key on account A's ids and data, on every
// endpoint. Nothing of A's is read, changed or leaked (404, never 403), and A's
// data is intact afterwards.

const assert = require('node:assert/strict');
const H = require('../lib/server.js');

const C = '/v3/marketing/contacts';
const L = '/v3/marketing/lists';
const F = '/v3/marketing/field_definitions';

async function snapshotA(url, key, A) {
  const out = {};
  for (const id of A.contacts) {
    const r = await H.must(url, { path: `${C}/${id}`, key });
    out[id] = `${r.status} ${r.text.replace(/"_metadata":\{[^}]*\}/, '')}`;
  }
  out.count = (await H.must(url, { path: `${C}/count`, key })).text;
  out.lists = (await H.must(url, { path: `${L}?page_size=1000`, key })).body.result.map((l) => `${l.id}:${l.name}:${l.contact_count}`).join(',');
  out.listCount = (await H.must(url, { path: `${L}/${A.list}/contacts/count`, key })).text;
  out.fields = JSON.stringify((await H.must(url, { path: F, key })).body.custom_fields);
  out.job = (await H.must(url, { path: `${C}/imports/${A.job}`, key })).text;
  out.badJobErrors = (await H.must(url, { path: `${C}/imports/${A.badJob}/errors`, key })).text;
  return out;
}

H.test('account B cannot read, change or see account A\'s data on any endpoint', { timeout: 60000 }, async () => {
  const srv = await H.startServer();
  try {
    const url = srv.url;
    const a = srv.key;
    const b = srv.createKey('acct-b');
    const A = {};
    const f = await H.must(url, { method: 'POST', path: F, key: a, body: { name: 'secret_a', field_type: 'Text' } });
    A.field = f.body.id;
    A.list = (await H.must(url, { method: 'POST', path: L, key: a, body: { name: 'a-list' } })).body.id;
    const recs = [0, 1, 2].map((i) => ({ email: `a${i}@iso.test`, external_id: `ax${i}`, anonymous_id: `an${i}`,
      phone_number_id: `+1415555000${i}`, first_name: `A${i}`, alternate_emails: [`alt${i}@iso.test`], custom_fields: { secret_a: `s${i}` } }));
    const job = await H.seedContacts(url, a, recs, { list_ids: [A.list] });
    assert.equal(job.status, 'completed', JSON.stringify(job));
    A.job = job.id;
    const bad = await H.must(url, { method: 'PUT', path: C, key: a, body: { contacts: [{ external_id: 'ax0' }] } });
    A.badJob = (await H.waitJob(url, a, bad.body.job_id)).id;
    const found = await H.rawSearchEmails(url, a, recs.map((r) => r.email));
    A.contacts = recs.map((r) => found.body.result[r.email].contact.id);
    const before = await snapshotA(url, a, A);
    const leaks = [];
    const aValues = [...A.contacts, ...recs.flatMap((r) => [r.email, r.external_id, r.anonymous_id, r.phone_number_id, r.first_name, ...r.alternate_emails]), A.list, 'a-list', 'secret_a', A.job, A.badJob];
    const leakCheck = (label, r) => {
      for (const v of aValues) if (r.text.includes(v) && !label.includes(v)) leaks.push(`${label}: the answer contains A's ${v}: ${r.text.slice(0, 200)}`);
    };
    const expect404 = async (m, p, body) => {
      const r = await H.must(url, { method: m, path: p, key: b, body });
      if (r.status !== 404 || !H.isSgError(r.body)) leaks.push(`B ${m} ${p}: expected 404 with an error body, got ${r.status} ${r.text.slice(0, 200)}`);
      leakCheck(`B ${m} ${p}`, r);
    };
    // A's ids on every id-taking endpoint: 404, never 403.
    for (const id of A.contacts) {
      await expect404('GET', `${C}/${id}`);
      await expect404('DELETE', `${C}/${id}/identifiers`, { identifier_type: 'EXTERNALID', identifier_value: 'ax0' });
      await expect404('DELETE', `${C}/${id}/identifiers`, { identifier_type: 'EMAIL', identifier_value: 'a0@iso.test' });
    }
    await expect404('GET', `${C}/imports/${A.job}`);
    await expect404('GET', `${C}/imports/${A.badJob}`);
    await expect404('GET', `${C}/imports/${A.badJob}/errors`);
    await expect404('GET', `${L}/${A.list}`);
    await expect404('GET', `${L}/${A.list}?contact_sample=true`);
    await expect404('PATCH', `${L}/${A.list}`, { name: 'hijacked' });
    await expect404('DELETE', `${L}/${A.list}`);
    await expect404('DELETE', `${L}/${A.list}?delete_contacts=true`);
    await expect404('DELETE', `${L}/${A.list}/contacts?contact_ids=${A.contacts[0]}`);
    await expect404('GET', `${L}/${A.list}/contacts/count`);
    await expect404('PATCH', `${F}/${A.field}`, { name: 'hijacked_field' });
    await expect404('DELETE', `${F}/${A.field}`);
    // Searches and batch return nothing of A's.
    const rb = await H.must(url, { method: 'POST', path: `${C}/batch`, key: b, body: { ids: A.contacts } });
    if (!(rb.status === 404 || (rb.status === 200 && Array.isArray(rb.body.result) && rb.body.result.length === 0))) leaks.push(`B batch of A's ids: ${rb.status} ${rb.text.slice(0, 200)}`);
    leakCheck('B batch', rb);
    await expect404('POST', `${C}/search/emails`, { emails: [...recs.map((r) => r.email), 'alt0@iso.test', 'A0@ISO.TEST'] });
    await expect404('POST', `${C}/search/identifiers/email`, { identifiers: recs.map((r) => r.email) });
    await expect404('POST', `${C}/search/identifiers/external_id`, { identifiers: recs.map((r) => r.external_id) });
    await expect404('POST', `${C}/search/identifiers/anonymous_id`, { identifiers: recs.map((r) => r.anonymous_id) });
    await expect404('POST', `${C}/search/identifiers/phone_number_id`, { identifiers: recs.map((r) => r.phone_number_id) });
    // B's own listings show none of A's.
    for (const p of [C, `${C}/count`, L, F]) {
      const r = await H.must(url, { path: p, key: b });
      if (r.status !== 200) leaks.push(`B GET ${p}: ${r.status}`);
      leakCheck(`B GET ${p}`, r);
      if (p === C || p === `${C}/count`) assert.equal(r.body.contact_count, 0, `B ${p}: ${r.text}`);
    }
    // B's writes with A's references.
    const ul = await H.must(url, { method: 'PUT', path: C, key: b, body: { contacts: [{ email: 'b0@iso.test' }], list_ids: [A.list] } });
    if (ul.status !== 400) leaks.push(`B upsert with A's list id: ${ul.status} ${ul.text}`);
    const uf = await H.must(url, { method: 'PUT', path: C, key: b, body: { contacts: [{ email: 'b0@iso.test', custom_fields: { [A.field]: 'x' } }] } });
    if (uf.status !== 400) leaks.push(`B upsert with A's field id: ${uf.status} ${uf.text}`);
    const ufn = await H.must(url, { method: 'PUT', path: C, key: b, body: { contacts: [{ email: 'b0@iso.test', custom_fields: { secret_a: 'x' } }] } });
    if (ufn.status !== 400) leaks.push(`B upsert with A's field name: ${ufn.status} ${ufn.text}`);
    // B upserting A's identifiers makes B's own contacts; A's stay as they are.
    const same = await H.must(url, { method: 'PUT', path: C, key: b, body: { contacts: recs.map((r) => ({ email: r.email, external_id: r.external_id, first_name: 'B-owned' })) } });
    assert.equal(same.status, 202, same.text);
    const sj = await H.waitJob(url, b, same.body.job_id);
    assert.equal(sj.results.created_count, 3, `B's upsert of A's emails must create B's own contacts: ${JSON.stringify(sj)}`);
    const bFound = await H.rawSearchEmails(url, b, recs.map((r) => r.email));
    for (const r of recs) {
      const c = bFound.body.result[r.email].contact;
      if (A.contacts.includes(c.id)) leaks.push(`B's search returns A's contact ${c.id}`);
      assert.equal(c.first_name, 'B-owned');
      assert.deepEqual(c.custom_fields, {});
      assert.deepEqual(c.list_ids, []);
    }
    // B's deletions: A's ids are errored records; delete_all_contacts takes only B's.
    const di = await H.must(url, { method: 'DELETE', path: `${C}?ids=${A.contacts.join(',')}`, key: b });
    if (di.status === 202) {
      const dj = await H.waitJob(url, b, di.body.job_id);
      if (dj.results.deleted_count !== 0) leaks.push(`B deleting A's ids deleted ${dj.results.deleted_count}: ${JSON.stringify(dj)}`);
      if (dj.results.errored_count === 3) {
        const e = await H.must(url, { path: `${C}/imports/${dj.id}/errors`, key: b });
        for (const v of recs.flatMap((r) => [r.email, r.external_id])) if (e.text.includes(v)) leaks.push(`B's errors_url shows A's ${v}`);
      }
    } else if (di.status !== 404 && di.status !== 400) {
      leaks.push(`B DELETE ${C}?ids=<A's ids>: ${di.status} ${di.text}`);
    }
    const da = await H.must(url, { method: 'DELETE', path: `${C}?delete_all_contacts=true`, key: b });
    assert.equal(da.status, 202, da.text);
    const daj = await H.waitJob(url, b, da.body.job_id);
    assert.equal(daj.results.deleted_count, 3, `B's delete_all deletes B's three: ${JSON.stringify(daj)}`);
    // B's own field gets the same id string as A's (ids count per account): it is B's.
    const bf = await H.must(url, { method: 'POST', path: F, key: b, body: { name: 'b_field', field_type: 'Text' } });
    assert.equal(bf.status, 200, bf.text);
    if (bf.body.id === A.field) {
      const pr = await H.must(url, { method: 'PATCH', path: `${F}/${A.field}`, key: b, body: { name: 'b_field_2' } });
      assert.equal(pr.status, 200, pr.text);
      const dr = await H.must(url, { method: 'DELETE', path: `${F}/${A.field}`, key: b });
      assert.equal(dr.status, 204, dr.text);
    }
    // B's list may reuse A's list name.
    const bl = await H.must(url, { method: 'POST', path: L, key: b, body: { name: 'a-list' } });
    assert.equal(bl.status, 201, `list names are unique per account only: ${bl.text}`);

    const afterSnap = await snapshotA(url, a, A);
    assert.deepEqual(afterSnap, before, 'account A\'s data changed');
    assert.deepEqual(leaks, [], leaks.join('\n'));
  } finally {
    await srv.stop();
  }
});
