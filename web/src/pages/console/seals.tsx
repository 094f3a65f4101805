import { Alert, App, Button, Card, DatePicker, Form, Input, Modal, Select, Space, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, type StaffMe } from '../../api';
import { errorText, Loadable, ToneTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import { hasRole, type T } from './shared';

export interface Seal {
  id: string;
  agencyId: string;
  esId: string;
  name: string;
  status: 'active' | 'suspended' | 'revoked';
  validFrom: string;
  validTo: string;
  replacesId: string | null;
  filingNo: string | null;
  filedAt: string | null;
  statusReason: string | null;
  imageUrl: string;
}
const STATUS = (t: T): Record<Seal['status'], string> => ({
  active: t('启用', 'Active'),
  suspended: t('停用', 'Suspended'),
  revoked: t('注销', 'Revoked'),
});

type Dialog = { kind: 'create' } | { kind: 'renew'; seal: Seal } | { kind: 'status'; seal: Seal };

/** Seals of the agency (GB/T 38540 electronic seals filed with the national seal registry). */
export function Seals({ me }: { me: StaffMe }) {
  const t = useT();
  const { message } = App.useApp();
  const st = useAsync(() => api<{ items: Seal[] }>(`/api/v1/agencies/${me.agencyId}/seals`), [me.agencyId]);
  const admin = hasRole(me.roles, ['agency-admin']);
  const [dialog, setDialog] = useState<Dialog>();
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const names = STATUS(t);
  const run = async (f: () => Promise<unknown>, done: string) => {
    setErr(undefined);
    setBusy(true);
    try {
      await f();
      message.success(done);
      setDialog(undefined);
      st.reload();
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  const open = (d: Dialog) => {
    setErr(undefined);
    setDialog(d);
  };
  return (
    <Card
      title={t('电子印章', 'Electronic seals')}
      extra={
        admin && (
          <Button type="primary" onClick={() => open({ kind: 'create' })} data-testid="seal-create">
            {t('制作印章', 'New seal')}
          </Button>
        )
      }
    >
      {!admin && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('制作、续期和停用印章由机构管理员办理。', 'The agency admin makes, renews and suspends seals.')}
        />
      )}
      <Loadable
        state={st}
        what={t('电子印章', 'seals')}
        empty={(d) => d.items.length === 0}
        emptyText={t('本机构尚无电子印章，签章前须先制作并备案。', 'No seal yet: make and file one before sealing.')}
      >
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 1000 }}
            pagination={false}
            columns={[
              {
                title: t('印模', 'Image'),
                render: (_, s) => (
                  <img src={s.imageUrl} alt={t(`${s.name}印模`, `${s.name} image`)} width={56} height={56} />
                ),
              },
              { title: t('印章名称', 'Name'), dataIndex: 'name' },
              { title: t('印章编码', 'Seal code'), dataIndex: 'esId' },
              {
                title: t('状态', 'Status'),
                render: (_, s) => (
                  <Space orientation="vertical" size={0}>
                    <ToneTag tone={s.status === 'active' ? 'ok' : s.status === 'suspended' ? 'alert' : 'bad'}>
                      {names[s.status]}
                    </ToneTag>
                    {s.statusReason && <Typography.Text type="secondary">{s.statusReason}</Typography.Text>}
                  </Space>
                ),
              },
              {
                title: t('有效期', 'Valid'),
                render: (_, s) => `${fmtTime(s.validFrom).slice(0, 10)} – ${fmtTime(s.validTo).slice(0, 10)}`,
              },
              { title: t('备案号', 'Filing no.'), dataIndex: 'filingNo', render: (v: string | null) => v ?? '—' },
              {
                title: t('续期自', 'Renews'),
                dataIndex: 'replacesId',
                render: (v: string | null) => (v ? (d.items.find((x) => x.id === v)?.esId ?? v.slice(0, 8)) : '—'),
              },
              ...(admin
                ? [
                    {
                      title: t('操作', 'Actions'),
                      render: (_: unknown, s: Seal) => (
                        <Space wrap>
                          <Button
                            size="small"
                            disabled={s.status === 'revoked'}
                            onClick={() => open({ kind: 'renew', seal: s })}
                          >
                            {t('续期', 'Renew')}
                          </Button>
                          <Button
                            size="small"
                            disabled={s.status === 'revoked'}
                            onClick={() => open({ kind: 'status', seal: s })}
                          >
                            {t('状态', 'Status')}
                          </Button>
                        </Space>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </Loadable>
      <Modal
        open={!!dialog}
        title={
          dialog?.kind === 'create'
            ? t('制作电子印章', 'Make a seal')
            : dialog?.kind === 'renew'
              ? t(`续期：${dialog.seal.name}`, `Renew: ${dialog.seal.name}`)
              : dialog
                ? t(`印章状态：${dialog.seal.name}`, `Seal status: ${dialog.seal.name}`)
                : ''
        }
        onCancel={() => setDialog(undefined)}
        footer={null}
        destroyOnHidden
      >
        {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
        {dialog?.kind === 'create' && (
          <Form
            layout="vertical"
            onFinish={(v: { esId: string; name: string; validTo: Dayjs }) =>
              run(
                () =>
                  api(`/api/v1/agencies/${me.agencyId}/seals`, {
                    body: { esId: v.esId, name: v.name, validTo: v.validTo.endOf('day').toISOString() },
                  }),
                t('印章已制作并备案', 'Seal made and filed'),
              )
            }
          >
            <Form.Item
              label={t('印章编码（与实物印章编号相同）', 'Seal code (as on the physical seal)')}
              name="esId"
              rules={[
                {
                  required: true,
                  pattern: /^[0-9A-Za-z-]{4,40}$/,
                  message: t('4–40 位字母、数字或连字符', '4–40 letters, digits or hyphens'),
                },
              ]}
            >
              <Input />
            </Form.Item>
            <Form.Item label={t('印章名称', 'Seal name')} name="name" rules={[{ required: true, max: 100 }]}>
              <Input placeholder={t('如：潢川县自然资源局不动产登记专用章', 'e.g. … 不动产登记专用章')} />
            </Form.Item>
            <Form.Item label={t('有效期至', 'Valid to')} name="validTo" rules={[{ required: true }]}>
              <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.valueOf() < Date.now()} />
            </Form.Item>
            <Typography.Paragraph type="secondary">
              {t(
                '印模图片自动生成；印章制作后向国家印章系统备案。',
                'The seal picture is generated; the seal is filed with the national registry.',
              )}
            </Typography.Paragraph>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('制作并备案', 'Make and file')}
            </Button>
          </Form>
        )}
        {dialog?.kind === 'renew' && (
          <Form
            layout="vertical"
            onFinish={(v: { validTo: Dayjs; reason: string }) =>
              run(
                () =>
                  api(`/api/v1/seals/${dialog.seal.id}/renew`, {
                    body: { validTo: v.validTo.endOf('day').toISOString(), reason: v.reason },
                  }),
                t(
                  '已续期：新印章启用，原印章停用但仍可验证',
                  'Renewed: the new seal is active, the old one stays verifiable',
                ),
              )
            }
          >
            <Typography.Paragraph type="secondary">
              {t(
                `当前有效期至 ${fmtTime(dialog.seal.validTo).slice(0, 10)}。续期生成新印章，原印章停用但其已签文件仍可验证。`,
                `Valid to ${fmtTime(dialog.seal.validTo).slice(0, 10)}. Renewal makes a new seal; the old one is suspended and what it signed stays verifiable.`,
              )}
            </Typography.Paragraph>
            <Form.Item label={t('新有效期至', 'New valid to')} name="validTo" rules={[{ required: true }]}>
              <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.valueOf() < Date.now()} />
            </Form.Item>
            <Form.Item label={t('原因', 'Reason')} name="reason" rules={[{ required: true, max: 500 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('续期', 'Renew')}
            </Button>
          </Form>
        )}
        {dialog?.kind === 'status' && (
          <Form
            layout="vertical"
            initialValues={{ status: dialog.seal.status === 'active' ? 'suspended' : 'active' }}
            onFinish={(v: { status: Seal['status']; reason: string }) =>
              run(
                () => api(`/api/v1/seals/${dialog.seal.id}/status`, { body: v }),
                t('印章状态已更新', 'Seal status updated'),
              )
            }
          >
            <Form.Item label={t('新状态', 'New status')} name="status" rules={[{ required: true }]}>
              <Select
                options={(['active', 'suspended', 'revoked'] as const)
                  .filter((s) => s !== dialog.seal.status)
                  .map((s) => ({ value: s, label: names[s] }))}
              />
            </Form.Item>
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 12 }}
              title={t('注销不可恢复；停用的印章不能签章。', 'Revoking is final; a suspended seal cannot sign.')}
            />
            <Form.Item label={t('原因', 'Reason')} name="reason" rules={[{ required: true, max: 500 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
            <Button type="primary" danger htmlType="submit" block loading={busy}>
              {t('确认', 'Confirm')}
            </Button>
          </Form>
        )}
      </Modal>
    </Card>
  );
}
