import { Alert, App, Button, Card, Form, Modal, Radio, Select, Table, Tooltip } from 'antd';
import { useState } from 'react';
import { api, hasRoute, type StaffMe } from '../../api';
import { errorText, Loadable, ToneTag, useAsync } from '../../common';
import { useT } from '../../i18n';
import type { T } from './shared';

interface Agency {
  id: string;
  name: string;
  uscc: string;
  regionCode: string;
  level: 'national' | 'province' | 'city' | 'county';
  cityCountyName: string;
  sealName: string;
  sealingMode: 'realtime' | 'scheduled';
  sealingTimes: string[];
}
const LEVELS = (t: T): Record<Agency['level'], string> => ({
  national: t('国家', 'National'),
  province: t('省级', 'Province'),
  city: t('市级', 'City'),
  county: t('县级', 'County'),
});
const TIME_OPTIONS = Array.from({ length: 48 }, (_, i) => {
  const v = `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`;
  return { value: v, label: v };
});

/** Registration agencies and their sealing schedule (定时批量签章 at set times, default 12:00 and 18:00; or 实时). */
export function Agencies({ me }: { me: StaffMe }) {
  const t = useT();
  const { message } = App.useApp();
  const st = useAsync(
    async () => ({
      agencies: await api<{ items: Agency[] }>('/api/v1/agencies'),
      canPatch: await hasRoute('patch', '/api/v1/agencies/{agencyId}/sealing'),
    }),
    [],
  );
  const [editing, setEditing] = useState<Agency>();
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const mayEdit = (a: Agency) =>
    me.roles.includes('province-admin') || (me.roles.includes('agency-admin') && a.id === me.agencyId);
  const levels = LEVELS(t);
  const save = async (v: { mode: Agency['sealingMode']; times?: string[] }) => {
    if (!editing) return;
    setErr(undefined);
    setBusy(true);
    try {
      await api(`/api/v1/agencies/${editing.id}/sealing`, {
        method: 'PATCH',
        // Real time keeps the stored times (they apply again when switching back to scheduled batches).
        body: v.mode === 'scheduled' ? { mode: v.mode, times: [...(v.times ?? [])].sort() } : { mode: v.mode },
      });
      message.success(t('签章方式已保存', 'Sealing schedule saved'));
      setEditing(undefined);
      st.reload();
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('登记机构', 'Registration agencies')}>
      <Loadable
        state={st}
        what={t('登记机构', 'agencies')}
        empty={(d) => d.agencies.items.length === 0}
        emptyText={t('尚未配置登记机构', 'No agency is set up')}
      >
        {(d) => (
          <>
            {!d.canPatch && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 12 }}
                title={t(
                  '此服务器未提供签章方式设置接口，签章方式暂只能查看。',
                  'This server has no interface to change the sealing schedule; it is shown read-only.',
                )}
              />
            )}
            <Table
              rowKey="id"
              dataSource={d.agencies.items}
              scroll={{ x: 900 }}
              pagination={false}
              columns={[
                { title: t('名称', 'Name'), dataIndex: 'name' },
                { title: t('级别', 'Level'), dataIndex: 'level', render: (v: Agency['level']) => levels[v] ?? v },
                { title: t('统一社会信用代码', 'USCC'), dataIndex: 'uscc' },
                { title: t('行政区划', 'Region'), dataIndex: 'regionCode' },
                {
                  title: t('签章方式', 'Sealing'),
                  render: (_, a) =>
                    a.sealingMode === 'realtime' ? (
                      <ToneTag tone="info">{t('实时签章', 'Real time')}</ToneTag>
                    ) : (
                      <>
                        <ToneTag tone="none">{t('定时批量', 'Scheduled')}</ToneTag>
                        {a.sealingTimes.join('、')}
                      </>
                    ),
                },
                {
                  title: t('操作', 'Action'),
                  render: (_, a) =>
                    mayEdit(a) ? (
                      <Tooltip title={d.canPatch ? undefined : t('此服务器不支持修改', 'Not supported by this server')}>
                        <Button
                          size="small"
                          disabled={!d.canPatch}
                          onClick={() => {
                            setErr(undefined);
                            setEditing(a);
                          }}
                          data-testid="edit-sealing"
                        >
                          {t('签章方式', 'Schedule')}
                        </Button>
                      </Tooltip>
                    ) : (
                      '—'
                    ),
                },
              ]}
            />
          </>
        )}
      </Loadable>
      <Modal
        open={!!editing}
        title={t(`签章方式：${editing?.name ?? ''}`, `Sealing schedule: ${editing?.name ?? ''}`)}
        onCancel={() => setEditing(undefined)}
        footer={null}
        destroyOnHidden
      >
        {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
        {editing && (
          <Form
            layout="vertical"
            initialValues={{ mode: editing.sealingMode, times: editing.sealingTimes }}
            onFinish={save}
          >
            <Form.Item label={t('方式', 'Mode')} name="mode" rules={[{ required: true }]}>
              <Radio.Group
                options={[
                  { value: 'scheduled', label: t('定时批量签章', 'Scheduled batches') },
                  { value: 'realtime', label: t('登簿后实时签章', 'Right after each entry') },
                ]}
              />
            </Form.Item>
            <Form.Item noStyle dependencies={['mode']}>
              {({ getFieldValue }) =>
                getFieldValue('mode') === 'scheduled' && (
                  <Form.Item
                    label={t('每日签章时间', 'Daily times')}
                    name="times"
                    rules={[
                      {
                        required: true,
                        type: 'array',
                        min: 2,
                        message: t(
                          '定时签章每天至少 2 次（河南通知三（一）5）',
                          'Scheduled sealing runs at least twice a day',
                        ),
                      },
                    ]}
                  >
                    <Select mode="multiple" options={TIME_OPTIONS} placeholder="12:00、18:00" />
                  </Form.Item>
                )
              }
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('保存', 'Save')}
            </Button>
          </Form>
        )}
      </Modal>
    </Card>
  );
}
