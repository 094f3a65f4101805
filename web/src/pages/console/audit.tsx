import { Alert, Button, Card, Col, DatePicker, Form, Input, Row, Select, Space, Table, Tabs, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { api, hasRoute, type StaffMe } from '../../api';
import { Chart } from '../../chart';
import { actionName, errorText, Loadable, NotOnServer, ResultTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';

interface AuditEntry {
  seq: string;
  at: string;
  actorKind: string;
  actorId: string | null;
  clientId: string | null;
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  certificateId: string | null;
  purpose: string | null;
  caseNo: string | null;
  result: 'success' | 'denied' | 'error';
  reason: string | null;
  ip?: string | null;
  requestId?: string | null;
  details?: unknown;
}
interface EntriesPage {
  items: AuditEntry[];
  nextCursor?: string | null;
}
interface ChainCheck {
  ok: boolean;
  checked: number;
  findings: { id: string; kind: string; message: string; messageEn: string }[];
}

/** Audit viewer: the full change/access log with filters, the usage report, and the hash-chain check. */
export function Audit({ me }: { me: StaffMe }) {
  const t = useT();
  const ready = useAsync(
    async () => ({
      entries: await hasRoute('get', '/api/v1/audit/entries'),
      chain: await hasRoute('get', '/api/v1/audit/chain'),
    }),
    [],
  );
  return (
    <Card title={t('审计日志', 'Audit log')}>
      <Loadable state={ready} what={t('审计日志', 'the audit log')}>
        {(r) => (
          <Tabs
            items={[
              {
                key: 'entries',
                label: t('变更与访问日志', 'Change and access log'),
                children: r.entries ? <AuditEntries /> : <NotOnServer what={t('审计日志查询', 'audit log query')} />,
              },
              { key: 'usage', label: t('证照使用情况', 'Certificate usage'), children: <Usage me={me} /> },
              {
                key: 'chain',
                label: t('审计链校验', 'Chain check'),
                children: r.chain ? <ChainPanel /> : <NotOnServer what={t('审计链校验', 'audit chain check')} />,
              },
            ]}
          />
        )}
      </Loadable>
    </Card>
  );
}

function ChainPanel() {
  const t = useT();
  const chain = useAsync(() => api<ChainCheck>('/api/v1/audit/chain'), []);
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }} data-testid="audit-chain">
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t(
          '每条审计记录包含上一条的 SM3 杂凑，任何删改都会使链条断开。校验逐条重算杂凑并比对锚点。',
          'Every record carries the SM3 hash of the one before; any edit or deletion breaks the chain. The check recomputes each hash and compares the anchors.',
        )}
      </Typography.Paragraph>
      <Button onClick={chain.reload} loading={chain.loading}>
        {t('重新校验', 'Check again')}
      </Button>
      <Loadable state={chain} what={t('审计链校验', 'the chain check')}>
        {(c) => (
          <>
            {c.ok ? (
              <Alert
                type="success"
                showIcon
                title={t(`审计链完整：已校验 ${c.checked} 条记录`, `Chain intact: ${c.checked} records checked`)}
              />
            ) : (
              <Alert
                type="error"
                showIcon
                role="alert"
                title={t(
                  `审计链异常：已校验 ${c.checked} 条，发现 ${c.findings.length} 处问题`,
                  `Chain broken: ${c.checked} records checked, ${c.findings.length} finding(s)`,
                )}
              />
            )}
            {c.findings.length > 0 && (
              <Table
                rowKey={(f) => `${f.id}-${f.kind}`}
                size="small"
                dataSource={c.findings}
                scroll={{ x: 600 }}
                columns={[
                  { title: t('记录', 'Record'), dataIndex: 'id' },
                  { title: t('类型', 'Kind'), dataIndex: 'kind' },
                  { title: t('说明', 'Finding'), render: (_, f) => t(f.message, f.messageEn || f.message) },
                ]}
              />
            )}
          </>
        )}
      </Loadable>
    </Space>
  );
}

interface Filters {
  action?: string;
  actor?: string;
  certificate?: string;
  result?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

function AuditEntries() {
  const t = useT();
  const [filters, setFilters] = useState<Record<string, string>>({});
  const st = useAsync(
    () => api<EntriesPage>('/api/v1/audit/entries', { query: { ...filters, limit: 100 } }),
    [filters],
  );
  const [more, setMore] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreErr, setMoreErr] = useState<string>();
  const next = cursor === undefined ? st.data?.nextCursor : cursor;
  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    setMoreErr(undefined);
    try {
      const r = await api<EntriesPage>('/api/v1/audit/entries', { query: { ...filters, limit: 100, cursor: next } });
      setMore((m) => [...m, ...r.items]);
      setCursor(r.nextCursor ?? null);
    } catch (e) {
      setMoreErr(errorText(e, t));
    } finally {
      setLoadingMore(false);
    }
  };
  const apply = (v: Filters) => {
    setMore([]);
    setCursor(undefined);
    const [from, to] = v.range ?? [];
    setFilters(
      Object.fromEntries(
        Object.entries({
          action: v.action?.trim(),
          actor: v.actor?.trim(),
          certificate: v.certificate?.trim(),
          result: v.result,
          from: from?.startOf('day').toISOString(),
          to: to?.endOf('day').toISOString(),
        }).filter(([, x]) => x),
      ) as Record<string, string>,
    );
  };
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <Form layout="vertical" onFinish={apply}>
        <Row gutter={16}>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('操作', 'Action')} name="action">
              <Input allowClear placeholder="certificate.download、share.*" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('操作人/客户端', 'Actor / client')} name="actor">
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('证照', 'Certificate')} name="certificate">
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('结果', 'Result')} name="result">
              <Select
                allowClear
                options={[
                  { value: 'success', label: t('成功', 'success') },
                  { value: 'denied', label: t('拒绝', 'denied') },
                  { value: 'error', label: t('出错', 'error') },
                ]}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={8}>
            <Form.Item label={t('时间范围', 'Period')} name="range">
              <DatePicker.RangePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6} style={{ display: 'flex', alignItems: 'flex-end', paddingBottom: 24 }}>
            <Space>
              <Button type="primary" htmlType="submit">
                {t('查询', 'Search')}
              </Button>
              <Button htmlType="reset" onClick={() => apply({})}>
                {t('重置', 'Reset')}
              </Button>
            </Space>
          </Col>
        </Row>
      </Form>
      <Loadable state={st} what={t('审计日志', 'the audit log')}>
        {(d) => (
          <>
            <Table
              rowKey="seq"
              size="small"
              dataSource={[...d.items, ...more]}
              scroll={{ x: 1100 }}
              loading={st.loading}
              pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
              data-testid="audit-entries"
              locale={{ emptyText: t('没有符合条件的审计记录', 'No audit record matches') }}
              expandable={{
                rowExpandable: (r) => r.details != null || !!r.reason || !!r.objectId,
                expandedRowRender: (r) => (
                  <pre style={{ margin: 0, whiteSpace: 'pre-wrap', fontSize: 12 }}>
                    {JSON.stringify(
                      {
                        objectType: r.objectType,
                        objectId: r.objectId,
                        reason: r.reason,
                        ip: r.ip,
                        details: r.details,
                      },
                      null,
                      2,
                    )}
                  </pre>
                ),
              }}
              columns={[
                { title: '#', dataIndex: 'seq', width: 70 },
                { title: t('时间', 'Time'), dataIndex: 'at', render: fmtTime, width: 170 },
                {
                  title: t('操作人', 'Actor'),
                  render: (_, r) => `${r.actorKind}${(r.clientId ?? r.actorId) ? ` · ${r.clientId ?? r.actorId}` : ''}`,
                  ellipsis: true,
                },
                { title: t('操作', 'Action'), dataIndex: 'action', render: (v: string) => actionName(v, t) },
                { title: t('证照', 'Certificate'), dataIndex: 'certificateId', ellipsis: true },
                { title: t('用证事由', 'Purpose'), dataIndex: 'purpose', ellipsis: true },
                { title: t('结果', 'Result'), dataIndex: 'result', render: (v: string) => <ResultTag result={v} /> },
              ]}
            />
            {moreErr && <Alert type="error" showIcon title={moreErr} />}
            {next && (
              <div style={{ textAlign: 'center' }}>
                <Button onClick={loadMore} loading={loadingMore}>
                  {t('加载更早的记录', 'Load older records')}
                </Button>
              </div>
            )}
          </>
        )}
      </Loadable>
    </Space>
  );
}

function Usage({ me }: { me: StaffMe }) {
  const t = useT();
  const [days, setDays] = useState(7);
  const range = useMemo(
    () => ({ from: new Date(Date.now() - days * 86400_000).toISOString(), to: new Date().toISOString() }),
    [days],
  );
  const st = useAsync(
    () =>
      api<{
        summary: { action: string; clientId: string | null; result: string; count: number }[];
        items: AuditEntry[];
      }>('/api/v1/audit/usage', { query: { ...range, agencyId: me.agencyId, limit: 200 } }),
    [range],
  );
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <Space wrap>
        <Typography.Text id="usage-range">{t('时间范围', 'Time range')}</Typography.Text>
        <Select
          aria-labelledby="usage-range"
          value={days}
          onChange={setDays}
          style={{ width: 140 }}
          options={[
            { value: 1, label: t('近 1 日', 'Last day') },
            { value: 7, label: t('近 7 日', 'Last 7 days') },
            { value: 30, label: t('近 30 日', 'Last 30 days') },
          ]}
        />
      </Space>
      <Loadable state={st} what={t('使用情况', 'usage')}>
        {(d) => (
          <>
            {d.summary.length > 0 && (
              <Chart
                height={220}
                label={t('按操作统计', 'Counts by action')}
                option={{
                  tooltip: {},
                  grid: { left: 140, right: 16, top: 8, bottom: 24 },
                  yAxis: { type: 'category', data: d.summary.map((s) => `${s.action} ${s.result}`) },
                  xAxis: { type: 'value', minInterval: 1 },
                  series: [{ type: 'bar', itemStyle: { color: '#1456c8' }, data: d.summary.map((s) => s.count) }],
                }}
              />
            )}
            <Table
              rowKey="seq"
              size="small"
              dataSource={d.items}
              scroll={{ x: 900 }}
              locale={{ emptyText: t('此时间段无使用记录', 'No usage in this period') }}
              columns={[
                { title: '#', dataIndex: 'seq' },
                { title: t('时间', 'Time'), dataIndex: 'at', render: fmtTime },
                { title: t('访问方', 'Actor'), render: (_, r) => r.clientId ?? r.actorKind },
                { title: t('操作', 'Action'), dataIndex: 'action', render: (v: string) => actionName(v, t) },
                { title: t('证照', 'Certificate'), dataIndex: 'certificateId', ellipsis: true },
                { title: t('用证事由', 'Purpose'), dataIndex: 'purpose' },
                { title: t('业务编号', 'Case no.'), dataIndex: 'caseNo' },
                { title: t('结果', 'Result'), dataIndex: 'result', render: (v: string) => <ResultTag result={v} /> },
              ]}
            />
          </>
        )}
      </Loadable>
    </Space>
  );
}
