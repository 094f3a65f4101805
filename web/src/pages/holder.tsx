import { Alert, App, Button, Card, Descriptions, Form, Input, List, Modal, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, type CertificateSummary, hasRoute } from '../api';
import { actionName, errorText, Loadable, StatusTag, useAsync } from '../common';
import { fmtTime, useT } from '../i18n';
import { PublicFrame } from '../shell';

/** Holder portal (Huangchuan 二, 2.2: holders view and download on the centre's website; first download = 领用). */
export function HolderPortal() {
  const t = useT();
  const me = useAsync(() => api<{ kind: string }>('/api/v1/auth/me'), []);
  const signedIn = me.data?.kind === 'holder';
  const logout = async () => {
    await api('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
    me.reload();
  };
  return (
    <PublicFrame
      title={t('权利人服务', 'Holder services')}
      extra={
        signedIn && (
          <Button size="small" onClick={logout}>
            {t('退出', 'Sign out')}
          </Button>
        )
      }
    >
      {me.loading && me.data === undefined ? null : signedIn ? <MyCertificates /> : <HolderSignIn onDone={me.reload} />}
    </PublicFrame>
  );
}

function HolderSignIn({ onDone }: { onDone: () => void }) {
  const t = useT();
  const [challenge, setChallenge] = useState<{ challengeId: string; maskedPhone: string; demoCode?: string }>();
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setErr(undefined);
    try {
      await f();
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card style={{ maxWidth: 440 }} title={t('身份证号 + 短信验证码登录', 'Sign in with ID number and SMS code')}>
      {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
      {!challenge ? (
        <Form
          layout="vertical"
          onFinish={(v: { name: string; idNumber: string; phone: string }) =>
            run(async () => setChallenge(await api('/api/v1/auth/holder/sms', { body: v })))
          }
        >
          <Form.Item label={t('姓名', 'Name')} name="name" rules={[{ required: true }]}>
            <Input autoComplete="name" />
          </Form.Item>
          <Form.Item
            label={t('身份证号码', 'ID card number')}
            name="idNumber"
            rules={[{ required: true, pattern: /^[0-9A-Za-z]{6,30}$/ }]}
          >
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item
            label={t('手机号码', 'Mobile number')}
            name="phone"
            rules={[{ required: true, pattern: /^1\d{10}$/ }]}
          >
            <Input inputMode="tel" autoComplete="tel" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('获取验证码', 'Send code')}
          </Button>
        </Form>
      ) : (
        <Form
          layout="vertical"
          onFinish={(v: { code: string }) =>
            run(async () => {
              await api('/api/v1/auth/holder/login', { body: { challengeId: challenge.challengeId, code: v.code } });
              onDone();
            })
          }
        >
          <Typography.Paragraph>
            {t(`验证码已发送至 ${challenge.maskedPhone}`, `Code sent to ${challenge.maskedPhone}`)}
          </Typography.Paragraph>
          {challenge.demoCode && (
            // Only the demo server returns the code (SMS simulator); production sends a real SMS.
            <Alert
              type="warning"
              showIcon
              data-testid="sms-simulator"
              title={
                <span>
                  <Tag color="orange">模拟器 / Simulator</Tag>
                  {t('短信验证码：', 'SMS code: ')}
                  <b data-testid="demo-code">{challenge.demoCode}</b>
                </span>
              }
              style={{ marginBottom: 12 }}
            />
          )}
          <Form.Item label={t('短信验证码', 'SMS code')} name="code" rules={[{ required: true, pattern: /^\d{6}$/ }]}>
            <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} autoFocus />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('登录', 'Sign in')}
          </Button>
        </Form>
      )}
    </Card>
  );
}

function MyCertificates() {
  const t = useT();
  const { message } = App.useApp();
  const st = useAsync(() => api<{ items: CertificateSummary[] }>('/api/v1/holder/certificates'), []);
  const [objecting, setObjecting] = useState<CertificateSummary>();
  const [accessFor, setAccessFor] = useState<CertificateSummary>();
  const [preview, setPreview] = useState<CertificateSummary>();
  const fileObjection = async (v: { reason: string; contact?: string }) => {
    try {
      await api('/api/v1/objections', { body: { certificateId: objecting?.identifier, ...v } });
      message.success(t('异议已提交，登记机构将核实处理。', 'Objection filed; the agency will look into it.'));
      setObjecting(undefined);
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <>
      <Loadable
        state={st}
        what={t('我的证照', 'my certificates')}
        empty={(d) => d.items.length === 0}
        emptyText={t(
          '暂未查到您名下的电子证照。登记机构签章后，证照会出现在这里。',
          'No e-certificate in your name yet. It appears here once the agency has sealed it.',
        )}
      >
        {(d) => (
          <List
            grid={{ gutter: 16, xs: 1, md: 2 }}
            dataSource={d.items}
            renderItem={(c) => (
              <List.Item>
                <Card title={c.certificateNo} size="small" extra={<StatusTag c={c} />} data-testid="holder-cert">
                  <Typography.Paragraph style={{ marginBottom: 4 }}>{c.location}</Typography.Paragraph>
                  <Typography.Paragraph type="secondary" data-testid="collected-at">
                    {t('领用时间', 'Collected at')}：
                    {c.collectedAt ? fmtTime(c.collectedAt) : t('未领用', 'not yet collected')}
                  </Typography.Paragraph>
                  <Space wrap>
                    <Button onClick={() => setPreview(c)} data-testid="holder-preview">
                      {t('预览', 'Preview')}
                    </Button>
                    <Button
                      type="primary"
                      href={`/api/v1/holder/certificates/${c.id}/download?format=ofd`}
                      onClick={() => setTimeout(st.reload, 1500)}
                      data-testid="holder-download-ofd"
                    >
                      {t('下载 OFD', 'Download OFD')}
                    </Button>
                    <Button
                      href={`/api/v1/holder/certificates/${c.id}/download?format=pdf`}
                      onClick={() => setTimeout(st.reload, 1500)}
                      data-testid="holder-download-pdf"
                    >
                      {t('下载 PDF', 'Download PDF')}
                    </Button>
                    <Button onClick={() => setAccessFor(c)}>{t('谁查看过', 'Who accessed it')}</Button>
                    <Button onClick={() => setObjecting(c)}>{t('提出异议', 'Object')}</Button>
                  </Space>
                </Card>
              </List.Item>
            )}
          />
        )}
      </Loadable>
      <Modal
        open={!!objecting}
        title={t('提出异议', 'File an objection')}
        onCancel={() => setObjecting(undefined)}
        footer={null}
        destroyOnHidden
      >
        <Form layout="vertical" onFinish={fileObjection}>
          <Form.Item
            label={t('异议内容', 'What is wrong')}
            name="reason"
            rules={[{ required: true, min: 5, max: 2000 }]}
          >
            <Input.TextArea rows={4} />
          </Form.Item>
          <Form.Item label={t('联系方式（选填）', 'Contact (optional)')} name="contact">
            <Input />
          </Form.Item>
          <Button type="primary" htmlType="submit" block>
            {t('提交', 'Submit')}
          </Button>
        </Form>
      </Modal>
      <Modal
        open={!!preview}
        title={t(`预览：${preview?.certificateNo ?? ''}`, `Preview: ${preview?.certificateNo ?? ''}`)}
        onCancel={() => setPreview(undefined)}
        footer={null}
        width={860}
        destroyOnHidden
      >
        {preview && <HolderPreview c={preview} />}
      </Modal>
      <Modal
        open={!!accessFor}
        title={t('访问记录', 'Who accessed it')}
        onCancel={() => setAccessFor(undefined)}
        footer={null}
        destroyOnHidden
      >
        {accessFor && <HolderAccesses id={accessFor.id} />}
      </Modal>
    </>
  );
}

function HolderAccesses({ id }: { id: string }) {
  const t = useT();
  // Nanyang Art. 17: a holder may see who used the certificate (the audit trail filtered to it).
  const st = useAsync(
    () =>
      api<{
        items: {
          seq: string;
          at: string;
          actorKind: string;
          clientId: string | null;
          action: string;
          purpose: string | null;
        }[];
      }>(`/api/v1/audit/certificates/${id}`),
    [id],
  );
  const who: Record<string, string> = {
    holder: t('本人', 'You'),
    staff: t('登记机构工作人员', 'Agency staff'),
    institution: t('用证机构', 'Institution'),
    public: t('公众核验', 'Public check'),
  };
  return (
    <Loadable state={st} what={t('访问记录', 'access log')} empty={(d) => d.items.length === 0}>
      {(d) => (
        <List
          data-testid="holder-accesses"
          dataSource={d.items}
          renderItem={(a) => (
            <List.Item>
              {fmtTime(a.at)} · {a.clientId ?? who[a.actorKind] ?? a.actorKind} · {actionName(a.action, t)}
              {a.purpose ? ` · ${a.purpose}` : ''}
            </List.Item>
          )}
        />
      )}
    </Loadable>
  );
}

/**
 * Preview without collecting: the PDF rendition from `GET /api/v1/holder/certificates/{id}/preview` in a frame when
 * the server offers it (a download would count as 领用); otherwise the certificate's key items.
 */
function HolderPreview({ c }: { c: CertificateSummary }) {
  const t = useT();
  const st = useAsync(() => hasRoute('get', '/api/v1/holder/certificates/{id}/preview'), []);
  return (
    <Loadable state={st} what={t('预览', 'the preview')}>
      {(has) =>
        has ? (
          <iframe
            title={t(`证照预览：${c.certificateNo}`, `Certificate preview: ${c.certificateNo}`)}
            src={`/api/v1/holder/certificates/${c.id}/preview?format=pdf`}
            style={{ width: '100%', height: '70vh', border: '1px solid #d9d9d9' }}
            data-testid="holder-preview-frame"
          />
        ) : (
          <Space orientation="vertical" style={{ width: '100%' }} data-testid="holder-preview-info">
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('证号', 'Certificate no.')}>{c.certificateNo}</Descriptions.Item>
              <Descriptions.Item label={t('状态', 'Status')}>
                <StatusTag c={c} />
              </Descriptions.Item>
              <Descriptions.Item label={t('坐落', 'Location')}>{c.location}</Descriptions.Item>
              <Descriptions.Item label={t('不动产单元号', 'Unit no.')}>{c.unitNo}</Descriptions.Item>
              <Descriptions.Item label={t('权利人', 'Holders')}>{c.holders}</Descriptions.Item>
              <Descriptions.Item label={t('登簿日期', 'Registered on')}>{c.registeredOn}</Descriptions.Item>
              <Descriptions.Item label={t('电子证照标识', 'Identifier')}>{c.identifier}</Descriptions.Item>
            </Descriptions>
            <Alert
              type="info"
              showIcon
              title={t(
                '本服务器暂不提供版式文件在线预览；下载 OFD 或 PDF 即可查看全文（首次下载记为领用）。',
                'This server offers no file preview yet; download the OFD or PDF to see it all (the first download counts as collection).',
              )}
            />
          </Space>
        )
      }
    </Loadable>
  );
}
