import { Alert, Button, Card, Descriptions, Drawer, Grid, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiFailure, api, type CertificateSummary } from '../../api';
import { Loadable, StatusTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import { DOCUMENT_NAMES, registrationTypeName, type T } from './shared';

export interface Entry {
  id: string;
  businessNo: string;
  registrationType: string;
  unitNo: string;
  recordedAt: string;
  source: string;
  outcome: {
    document: 'property-certificate' | 'registration-proof' | 'none';
    certificateId?: string;
    certificateNo?: string;
    identifier?: string;
    superseded?: string[];
    restrictionId?: string;
    reason: string;
  };
}
interface EntryWithCertificates extends Entry {
  certificates: CertificateSummary[];
}
const PAGE = 100;
const list = (before?: string) =>
  api<{ items: Entry[] }>('/api/v1/register/entries', { query: { limit: PAGE, before } });

const SOURCE_NAMES = (t: T): Record<string, string> => ({
  api: t('登记系统接口', 'registration system API'),
  import: t('存量导入', 'stock import'),
  'stock-import': t('存量导入', 'stock import'),
  demo: t('演示数据', 'demo data'),
});

/** Register entries (登簿记录): the newest first, more on demand; a row opens its detail. */
export function Entries() {
  const t = useT();
  const nav = useNavigate();
  const [older, setOlder] = useState<Entry[]>([]);
  const [end, setEnd] = useState(false);
  const [more, setMore] = useState(false);
  const st = useAsync(() => list(), []);
  const loadMore = async (items: Entry[]) => {
    setMore(true);
    try {
      const last = items[items.length - 1];
      const r = await list(last?.recordedAt);
      setOlder((o) => [...o, ...r.items.filter((e) => !items.some((x) => x.id === e.id))]);
      if (r.items.length < PAGE) setEnd(true);
    } finally {
      setMore(false);
    }
  };
  const sources = SOURCE_NAMES(t);
  return (
    <Card title={t('登簿记录', 'Register entries')}>
      <Loadable state={st} what={t('登簿记录', 'register entries')}>
        {(d) => {
          const items = [...d.items, ...older];
          return (
            <>
              <Table
                rowKey="id"
                dataSource={items}
                scroll={{ x: 900 }}
                pagination={{ pageSize: 20, showSizeChanger: false, hideOnSinglePage: true }}
                locale={{
                  emptyText: t(
                    '暂无登簿记录。登记系统登簿后，记录与生成的证照会出现在这里。',
                    'No entries yet. Entries recorded by the registration system appear here with their certificates.',
                  ),
                }}
                columns={[
                  {
                    title: t('业务号', 'Business no.'),
                    dataIndex: 'businessNo',
                    render: (v: string, r) => <Link to={`/console/entries/${r.id}`}>{v}</Link>,
                  },
                  {
                    title: t('登记类型', 'Type'),
                    dataIndex: 'registrationType',
                    render: (v: string) => registrationTypeName(v, t),
                  },
                  { title: t('不动产单元号', 'Unit no.'), dataIndex: 'unitNo' },
                  { title: t('登簿时间', 'Recorded'), dataIndex: 'recordedAt', render: fmtTime },
                  { title: t('来源', 'Source'), dataIndex: 'source', render: (v: string) => sources[v] ?? v },
                  {
                    title: t('证照', 'Certificate'),
                    render: (_, r) =>
                      r.outcome.certificateId ? (
                        <Link to={`/console/certificates/${r.outcome.certificateId}`}>{r.outcome.certificateNo}</Link>
                      ) : (
                        DOCUMENT_NAMES(t)[r.outcome.document]
                      ),
                  },
                  {
                    title: t('操作', 'Action'),
                    render: (_, r) => (
                      <Button size="small" onClick={() => nav(`/console/entries/${r.id}`)}>
                        {t('详情', 'Details')}
                      </Button>
                    ),
                  },
                ]}
              />
              {items.length >= PAGE && !end && (
                <div style={{ textAlign: 'center', marginTop: 12 }}>
                  <Button onClick={() => loadMore(items)} loading={more}>
                    {t('加载更早的记录', 'Load older entries')}
                  </Button>
                </div>
              )}
            </>
          );
        }}
      </Loadable>
    </Card>
  );
}

/** One entry with its unit, rights and certificates (`GET /api/v1/register/entries/{id}`); 404 → not found. */
async function findEntry(id: string): Promise<EntryWithCertificates | null> {
  try {
    return await api<EntryWithCertificates>(`/api/v1/register/entries/${id}`);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return null;
    throw e;
  }
}

/** One register entry: what was recorded, what the platform decided, and the certificate it produced. */
export function EntryDetail() {
  const t = useT();
  const { id = '' } = useParams();
  const nav = useNavigate();
  const phone = !Grid.useBreakpoint().md;
  const st = useAsync(() => findEntry(id), [id]);
  // The detail carries the certificates the entry produced: no second request.
  const cert = useAsync(async () => st.data?.certificates[0] ?? null, [st.data]);
  return (
    <Drawer
      open
      title={t('登簿记录详情', 'Register entry')}
      onClose={() => nav('/console/entries')}
      size={phone ? '100%' : 640}
      data-testid="entry-detail"
    >
      <Loadable state={st} what={t('登簿记录', 'register entry')}>
        {(e) =>
          !e ? (
            <Alert
              type="warning"
              showIcon
              title={t('未找到该登簿记录', 'Entry not found')}
              description={t('记录不存在或不属于本机构。', 'It does not exist or belongs to another agency.')}
            />
          ) : (
            <Space orientation="vertical" size={16} style={{ width: '100%' }}>
              <Descriptions size="small" column={1} bordered>
                <Descriptions.Item label={t('业务号', 'Business no.')}>{e.businessNo}</Descriptions.Item>
                <Descriptions.Item label={t('登记类型', 'Registration type')}>
                  {registrationTypeName(e.registrationType, t)}
                </Descriptions.Item>
                <Descriptions.Item label={t('不动产单元号', 'Unit no.')}>{e.unitNo}</Descriptions.Item>
                <Descriptions.Item label={t('登簿时间', 'Recorded at')}>{fmtTime(e.recordedAt)}</Descriptions.Item>
                <Descriptions.Item label={t('来源', 'Source')}>
                  {SOURCE_NAMES(t)[e.source] ?? e.source}
                </Descriptions.Item>
                <Descriptions.Item label={t('出证判断', 'Document decided')}>
                  {DOCUMENT_NAMES(t)[e.outcome.document]}
                </Descriptions.Item>
                <Descriptions.Item label={t('判断依据', 'Reason')}>{e.outcome.reason}</Descriptions.Item>
                {e.outcome.identifier && (
                  <Descriptions.Item label={t('电子证照标识', 'Identifier')}>{e.outcome.identifier}</Descriptions.Item>
                )}
                {e.outcome.superseded && e.outcome.superseded.length > 0 && (
                  <Descriptions.Item label={t('被替代的证照', 'Superseded')}>
                    <Space orientation="vertical" size={0}>
                      {e.outcome.superseded.map((s) => (
                        <Link key={s} to={`/console/certificates/${s}`}>
                          {s}
                        </Link>
                      ))}
                    </Space>
                  </Descriptions.Item>
                )}
                {e.outcome.restrictionId && (
                  <Descriptions.Item label={t('限制记录', 'Restriction')}>{e.outcome.restrictionId}</Descriptions.Item>
                )}
              </Descriptions>
              <Card size="small" title={t('生成的证照', 'Certificate produced')}>
                <Loadable state={cert} what={t('证照', 'certificate')}>
                  {(c) =>
                    c ? (
                      <Descriptions size="small" column={1}>
                        <Descriptions.Item label={t('证号', 'Number')}>
                          <Link to={`/console/certificates/${c.id}`}>{c.certificateNo}</Link>
                        </Descriptions.Item>
                        <Descriptions.Item label={t('状态', 'Status')}>
                          <StatusTag c={c} />
                        </Descriptions.Item>
                        <Descriptions.Item label={t('坐落', 'Location')}>{c.location}</Descriptions.Item>
                        <Descriptions.Item label={t('权利人（脱敏）', 'Holders (masked)')}>
                          {c.holders}
                        </Descriptions.Item>
                        <Descriptions.Item label={t('签章时间', 'Sealed at')}>{fmtTime(c.sealedAt)}</Descriptions.Item>
                      </Descriptions>
                    ) : (
                      <Typography.Text type="secondary">
                        {t('此登簿不生成电子证照。', 'This entry produces no certificate.')}
                      </Typography.Text>
                    )
                  }
                </Loadable>
              </Card>
            </Space>
          )
        }
      </Loadable>
    </Drawer>
  );
}
